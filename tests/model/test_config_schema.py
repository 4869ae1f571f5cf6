"""The site config's declared schema (cockpit/model/schema): strict at any depth, errors in the
cockpit's form, every key shown valid in a fixture, and loading it stays light."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from support import ROOT

from cockpit.model.config import ConfigError, load_config
from cockpit.model.schema.base import keys_used, tables
from cockpit.model.schema.site import Site

EVERY_KEY = ROOT / "tests" / "fixtures" / "config" / "every-key.toml"
SHARED = ROOT / "tests" / "fixtures" / "config" / "every-key-shared.toml"
SAMPLE_TOKEN = "sample-env-token-0000001"
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
HEAD = f'version = 1\n[wall]\nlayouts_dir = "{ROOT / "layouts"}"\n'
REST = '''[[feeds]]
name = "a"
kind = "rest"
url = "https://gateway.example.gov.cn/api"
mapping = { ts = "t", entity_id = "e", metric = "m", value = "v" }
'''


def problems(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert all(p.file == str(path) for p in err.value.problems)
    return {p.path: p.message for p in err.value.problems}


def test_every_key_of_the_reference_appears_in_a_valid_fixture(monkeypatch):
    monkeypatch.setenv("COCKPIT_SAMPLE_TABLET_TOKEN", SAMPLE_TOKEN)
    used: set = set()
    for file in (EVERY_KEY, SHARED, *EXAMPLES):
        load_config(file)  # valid
        used |= keys_used(tomllib.loads(file.read_text(encoding="utf-8")), Site)
    every = {(model, key) for _, model in tables(Site) for key in model.model_fields}
    missing = sorted(f"{m.__name__}.{k}" for m, k in every - used)
    assert not missing, missing


def test_the_fixture_loads_into_the_runtime_objects():
    config = load_config(EVERY_KEY)
    assert [f.kind for f in config.feeds] == ["snapshot", "rest", "ngsi", "sensorthings",
                                              "thingsboard", "mqtt"]
    rest = config.feeds[1]
    assert rest.interval == 30.0 and rest.options["paging"]["page_param"] == "pageNum"
    assert config.control.tokens == {"tablet": "sample-token-000000001"}
    assert config.nodes is None and config.mqtt.wall == "weifang"
    assert config.tiles.crs == "wgs84" and config.retention_days == 30.0
    assert [s.dwell for s in config.carousel.playlist] == [60.0, 30.0]


# One typo per section and nesting level: the key path, and the known key suggested.
TYPOS = [
    ("verison = 1\n", "verison", "version"),
    ("[wall]\nlayuots = []\n", "wall.layuots", "layouts"),
    ("[store]\nretention_day = 3\n", "store.retention_day", "retention_days"),
    ("[map]\ntile_ulr = 'x'\n", "map.tile_ulr", "tile_url"),
    ("[control]\ntokens = { a = '0123456789abcdef' }\nmax_agee = 3\n", "control.max_agee",
     "max_age"),
    ("[carousel]\nplaylist = [{ layout = 'overview', dwel = 3 }]\n",
     "carousel.playlist[0].dwel", "dwell"),
    ("[carousel]\nplaylist = [{ layout = 'overview' }]\nautostrat = true\n",
     "carousel.autostrat", "autostart"),
    ("[takeover]\ndefault_layout = 'safety'\nsevertiy = 'major'\n", "takeover.severtiy", None),
    ("[mqtt]\nhots = 'x'\n", "mqtt.hots", "host"),
    (REST + "intervall = 5\n", "feeds[0].intervall", "interval"),
    (REST + "paging = { page_parm = 'pageNum' }\n", "feeds[0].paging.page_parm", "page_param"),
    (REST + "paging = { size_parm = 'n' }\n", "feeds[0].paging.size_parm", "size_param"),
    (REST + "auth = { type = 'bearer', token_env = 'T', tmplate = '{nonce}' }\n",
     "feeds[0].auth.tmplate", "template"),
    (REST + "auth = { type = 'bearer', token_env = 'T', headers = { nonse = 'N' } }\n",
     "feeds[0].auth.headers.nonse", "nonce"),
    (REST + "envelope = { lsit = 'data' }\n", "feeds[0].envelope.lsit", "list"),
    (REST + "timeouts = { conect = 3 }\n", "feeds[0].timeouts.conect", "connect"),
    (REST.replace('value = "v" }', 'value = "v", time_fromat = "iso" }'),
     "feeds[0].mapping.time_fromat", "time_format"),
    ("[[feeds]]\nname = 'n'\nkind = 'ngsi'\nurl = 'http://h'\nservice_pth = '/'\n",
     "feeds[0].service_pth", "service_path"),
    ("[[feeds]]\nname = 'm'\nkind = 'mqtt'\ntopics = ['t']\nqso = 1\n"
     "mapping = { ts = 't', entity_id = 'e', metrics = { a = 'a' } }\n", "feeds[0].qso", "qos"),
]


@pytest.mark.parametrize(("text", "where", "close"), TYPOS, ids=[t[1] for t in TYPOS])
def test_a_typo_is_named_at_any_depth_with_the_key_it_resembles(tmp_path, text, where, close):
    if text.startswith("[wall]\n"):
        text = HEAD + text.removeprefix("[wall]\n")  # into HEAD's [wall] table
    else:
        text = text + HEAD if not text.startswith("[") else HEAD + text  # top-level keys first
    found = problems(tmp_path, text)
    assert where in found, found
    assert found[where].startswith("unknown key"), found[where]
    if close:
        assert found[where].endswith(f"did you mean `{close}`?"), found[where]


def test_values_are_checked_with_what_was_found_and_what_was_expected(tmp_path):
    found = problems(tmp_path, HEAD + "daily_restart = 'soon'\n" + REST
                     + "paging = { size = 0, first_page = 'one' }\n"
                       "auth = { type = 'basic', username = 'u' }\n"
                     + REST.replace('"a"', '"b"') + "auth = { encoding = 'rot13' }\n"
                     + "[store]\nretention_days = 0\n[map]\ntile_url = 'ftp://x'\n")
    assert "found 'soon'" in found["wall.daily_restart"]
    assert found["feeds[0].paging.size"] == "expected an integer from 1 to 10000 (records), found 0"
    assert found["feeds[0].paging.first_page"].startswith("expected an integer")
    assert "password or password_env" in found["feeds[0].auth.password"]
    assert found["feeds[1].auth.encoding"] == "expected 'hex' or 'base64', found 'rot13'"
    assert found["store.retention_days"] == ("expected a number from 1 to 3650 (days), found 0")
    assert "http" in found["map.tile_url"]


def test_secrets_are_never_echoed(tmp_path):
    found = problems(tmp_path, HEAD + "[control]\ntokens = { tablet = 'hunter2' }\n"
                     "[mqtt]\npassword = 12345\n")
    assert "hunter2" not in str(found) and "12345" not in str(found)
    assert found["control.tokens.tablet"] == ("expected a string of at least 16 characters, "
                                              "found 7 character(s)")


@pytest.mark.parametrize(("bind", "why"), [
    ("::1", "IPv6 address: the control page listens on IPv4 only"),
    ("0.0.0.0", "listens everywhere"), ("224.0.0.1", "multicast"), ("wall-pc", "IP address")])
def test_the_control_page_only_binds_where_it_can_listen(tmp_path, bind, why):
    found = problems(tmp_path, HEAD + f"[control]\nbind = '{bind}'\n"
                                      "tokens = { a = '0123456789abcdef' }\n")
    assert why in found["control.bind"], found


def test_every_node_of_a_wall_shows_a_screen_some_chosen_layout_has(tmp_path):
    found = problems(tmp_path, HEAD + "layouts = ['overview']\nnodes = { a = [0], b = [1], "
                                      "c = [2] }\n[mqtt]\nhost = '10.0.0.5'\n")
    assert list(found) == ["wall.nodes.c"], found
    assert "screen 2 is in none of the chosen layouts" in found["wall.nodes.c"]


def test_problems_of_every_section_come_at_once_with_a_cap(tmp_path):
    feeds = "".join(f"[[feeds]]\nname = 'f{i}'\nkind = 'snapshot'\npath = 'x'\nbad{i} = 1\n"
                    for i in range(80))
    found = problems(tmp_path, HEAD + "cache = 3\n" + feeds)
    assert len(found) == 51 and "and 31 more problem(s) not listed" in found["(file)"]


def test_loading_a_config_imports_no_feed_pyarrow_requests_or_duckdb():
    code = ("import sys, cockpit.model.config; "
            "print([m for m in sys.modules if m.split('.')[0] in "
            "('feeds', 'pyarrow', 'requests', 'duckdb', 'paho', 'numpy', 'PySide6', 'maps')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_a_missing_key_says_what_it_is_for(tmp_path):
    found = problems(tmp_path, HEAD + "[[feeds]]\nname = 'a'\nkind = 'rest'\n"
                                      "[control]\nport = 1\n")
    assert found["feeds[0].url"] == "missing (a rest feed needs name, url, kind, mapping)"
    assert found["control.tokens"].startswith("missing: token name")


def test_a_wall_of_several_pcs_takes_its_secrets_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("COCKPIT_SAMPLE_TABLET_TOKEN", SAMPLE_TOKEN)
    config = load_config(SHARED)
    assert config.nodes == {"left": (0,), "right": (1,)}
    assert config.control.tokens == {"tablet": SAMPLE_TOKEN}
    assert SAMPLE_TOKEN not in repr(config.control)

    monkeypatch.delenv("COCKPIT_SAMPLE_TABLET_TOKEN")
    found = problems(tmp_path, SHARED.read_text(encoding="utf-8").replace(
        '"../../../layouts"', f'"{(ROOT / "layouts").as_posix()}"'))
    assert list(found) == ["control.tokens_env.tablet"], found
    assert "COCKPIT_SAMPLE_TABLET_TOKEN is not set here" in found["control.tokens_env.tablet"]


def test_a_shared_file_refuses_every_secret_written_in_it(tmp_path):
    text = (HEAD + 'layouts = ["overview"]\nnodes = { a = [0], b = [1] }\n'
            + REST + 'auth = { type = "bearer", token = "bearer-secret-0001" }\n'
            + '[[feeds]]\nname = "tb"\nkind = "thingsboard"\nurl = "https://tb.example.cn"\n'
            + 'keys = ["aqi"]\nusername = "u"\npassword = "tb-secret-0001"\n'
            + '[control]\ntokens = { tablet = "tablet-secret-000001" }\n'
            + '[mqtt]\npassword = "mqtt-secret-0001"\n')
    found = problems(tmp_path, text)
    assert sorted(found) == ["control.tokens.tablet", "feeds[0].auth.token", "feeds[1].password",
                             "mqtt.password"], found
    assert "give control.tokens_env" in found["control.tokens.tablet"]
    assert "give feeds[0].auth.token_env" in found["feeds[0].auth.token"]
    assert all("shared by every node" in m for m in found.values())
    assert not any("secret-0001" in m or "secret-000001" in m for m in found.values())


def test_tokens_come_one_way_and_at_least_one(tmp_path, monkeypatch):
    monkeypatch.setenv("T", SAMPLE_TOKEN)
    both = problems(tmp_path, HEAD + '[control]\ntokens = { a = "0123456789abcdef" }\n'
                                     'tokens_env = { a = "T" }\n')
    assert list(both) == ["control.tokens_env.a"], both
    none = problems(tmp_path, HEAD + "[control]\nport = 8765\n")
    assert none["control.tokens"].startswith("missing: token name")
