"""The map page in a QWebEngineView: run a script in it and wait for the answer, spin the
event loop a while."""

from __future__ import annotations


def evaluate(view, script: str, timeout_s: float = 10.0):
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    out = []

    def got(result):
        out.append(result)
        loop.quit()

    view.run(script, got)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    if not out:
        loop.exec()
    assert out, f"no answer from the page to {script!r}"
    return out[0]


def wait_ms(ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
