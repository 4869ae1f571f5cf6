"""The declared schemas of the files the cockpit reads (pydantic v2 models). Pure: no Qt.

* :mod:`.site` — the site config (:class:`~.site.Site`), with :mod:`.feeds` (every feed kind),
  :mod:`.control` and :mod:`.map`;
* :mod:`.base` — the strict base model and the errors in the cockpit's form;
* :mod:`.reference` — ``docs/config-reference.md`` and the JSON Schemas, generated.
"""
