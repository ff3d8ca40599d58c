"""The pages' strings: one layout, Chinese and English with the same keys.

Every string a page shows is a key of the dictionaries of web/js/i18n.js: its own (the strings that
several features share: buttons, errors, roles, statuses, time words), and one `<feature>-i18n.js`
module per page or feature (login, case page, agreement, live session, ...) that merges its `zh` and
`en` into them. A key in one language and not the other shows the Chinese text, or the bare key, to
a reader of the other; a `{placeholder}` in one and not the other drops a value or shows the braces. The modules are loaded as the browser loads them (by node,
with the few browser globals i18n.js reads at start stubbed), each into dictionaries of its own, so
that a key that two modules define (the later silently wins) is seen too; and every key that a
module asks t() for by name must be defined where that module can see it: in i18n.js or in a
strings module that it imports, directly or through the modules it imports (a page that loads a
module but not its strings shows the bare key).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "web" / "js"
FEATURES = sorted(p.relative_to(JS).as_posix() for p in JS.rglob("*-i18n.js"))
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# t('a.key') or t("a.key", {...}) with the key written out (a key built from a value is not seen).
ASKED = re.compile(r"""\bt\(\s*(['"])([^'"`$]+)\1""")
# `import x from './y.js';`, `import './y-i18n.js';` (over several lines too) and `import('./y.js')`.
STATIC_IMPORT = re.compile(r"""^import\b[^;'"]*?(['"])(\.{1,2}/[^'"]+)\1""", re.MULTILINE)
DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*(['"])(\.{1,2}/[^'"]+)\1\s*\)""")
# Comments go first: JSDoc types are written `import('./x.js').Type` and load nothing.
COMMENT = re.compile(r"/\*.*?\*/|^\s*//[^\n]*", re.DOTALL | re.MULTILINE)

# Loads i18n.js, keeps a copy of its own dictionaries, then loads each feature's module into empty
# ones (Object.assign(dictionaries.zh, zh) reads `dictionaries.zh` when it runs) and prints
# {module: {zh: {...}, en: {...}}}.
LOADER = """
globalThis.navigator ??= { languages: ['zh-CN'], language: 'zh-CN' };
globalThis.document ??= { documentElement: {} };
const [js, ...features] = JSON.parse(process.argv[1]);
const { dictionaries } = await import(`${js}/i18n.js`);
const found = { 'i18n.js': { zh: { ...dictionaries.zh }, en: { ...dictionaries.en } } };
const shared = { zh: dictionaries.zh, en: dictionaries.en };
for (const name of features) {
  dictionaries.zh = {};
  dictionaries.en = {};
  await import(`${js}/${name}`);
  found[name] = { zh: dictionaries.zh, en: dictionaries.en };
}
Object.assign(dictionaries, shared);
console.log(JSON.stringify(found));
"""

Strings = dict[str, dict[str, dict[str, str]]]


@pytest.fixture(scope="module")
def strings() -> Strings:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing (scripts/test installs it with npm)", pytrace=False)
    run = subprocess.run(
        [node, "--no-warnings", "--input-type=module", "-e", LOADER, json.dumps([JS.as_uri(), *FEATURES])],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if run.returncode != 0:
        pytest.fail(f"node could not load the strings modules:\n{run.stderr.strip()}", pytrace=False)
    found: Strings = json.loads(run.stdout)
    return found


def test_the_features_have_strings_modules() -> None:
    assert {"live-i18n.js", "agreement-i18n.js", "errors-i18n.js", "case-i18n.js", "login-i18n.js"} <= set(FEATURES)


@pytest.mark.parametrize("module", ["i18n.js", *FEATURES])
def test_chinese_and_english_have_the_same_keys(strings: Strings, module: str) -> None:
    zh, en = strings[module]["zh"], strings[module]["en"]
    assert zh, f"{module} defines no string"
    assert sorted(zh.keys() - en.keys()) == [], f"{module}: keys in Chinese only"
    assert sorted(en.keys() - zh.keys()) == [], f"{module}: keys in English only"


@pytest.mark.parametrize("module", ["i18n.js", *FEATURES])
def test_chinese_and_english_fill_the_same_placeholders(strings: Strings, module: str) -> None:
    zh, en = strings[module]["zh"], strings[module]["en"]
    differ = {
        key: (sorted(set(PLACEHOLDER.findall(zh[key]))), sorted(set(PLACEHOLDER.findall(en[key]))))
        for key in zh.keys() & en.keys()
        if set(PLACEHOLDER.findall(zh[key])) != set(PLACEHOLDER.findall(en[key]))
    }
    assert differ == {}, f"{module}: placeholders (zh, en) differ"


def test_every_key_a_module_asks_for_is_defined(strings: Strings) -> None:
    defined = {key for dictionaries in strings.values() for key in dictionaries["zh"]}
    missing = {
        f"{path.relative_to(JS).as_posix()}: {key}"
        for path in sorted(JS.rglob("*.js"))
        if not path.name.endswith("i18n.js")
        for _, key in ASKED.findall(path.read_text(encoding="utf-8"))
        if key not in defined
    }
    assert sorted(missing) == [], "t() asks for keys that no strings module defines (the page shows the bare key)"


def imports(path: Path) -> set[str]:
    """The modules under web/js that `path` imports itself, statically or with import()."""
    code = COMMENT.sub("", path.read_text(encoding="utf-8"))
    found = {m[1] for m in STATIC_IMPORT.findall(code)} | {m[1] for m in DYNAMIC_IMPORT.findall(code)}
    return {(path.parent / name).resolve().relative_to(JS).as_posix() for name in found}


def test_every_key_a_module_asks_for_is_defined_in_what_it_imports(strings: Strings) -> None:
    graph = {path.relative_to(JS).as_posix(): imports(path) for path in sorted(JS.rglob("*.js"))}
    missing = set()
    for module in graph:
        if module.endswith("i18n.js"):
            continue
        seen, todo = {module}, [module]
        while todo:
            for name in graph.get(todo.pop(), set()) - seen:
                seen.add(name)
                todo.append(name)
        defined = {key for name in seen | {"i18n.js"} if name in strings for key in strings[name]["zh"]}
        asked = ASKED.findall((JS / module).read_text(encoding="utf-8"))
        missing |= {f"{module}: {key}" for _, key in asked if key not in defined}
    assert sorted(missing) == [], f"t() asks for keys that no strings module this module imports defines: {sorted(missing)}"


def test_no_key_is_defined_by_two_modules(strings: Strings) -> None:
    owner: dict[str, str] = {}
    twice: dict[str, list[str]] = {}
    for module, dictionaries in strings.items():
        for key in dictionaries["zh"].keys() | dictionaries["en"].keys():
            if key in owner:
                twice[key] = [owner[key], module]
            owner.setdefault(key, module)
    assert twice == {}, "keys defined by two strings modules (the one loaded later wins)"


def test_every_dispute_type_has_its_words_old_ones_too(strings: Strings) -> None:
    """Cases and old records name their type by key: each one, retired ones included (evidence records
    and the history keep the type a case was opened with), has its words in both languages, and the
    registration form's fallback list (when /meta cannot be read) is the server's list."""
    from server.domain.vocabulary import DISPUTE_TYPES, RETIRED_DISPUTE_TYPES

    shared = strings["i18n.js"]
    for kind in (*DISPUTE_TYPES, *RETIRED_DISPUTE_TYPES):
        assert f"dispute.{kind}" in shared["zh"] and f"dispute.{kind}" in shared["en"], kind
    page = (JS / "registration.js").read_text(encoding="utf-8")
    fallback = re.search(r"const DISPUTES = \[(.*?)\];", page, re.DOTALL)
    assert fallback and re.findall(r"'(\w+)'", fallback.group(1)) == list(DISPUTE_TYPES)
