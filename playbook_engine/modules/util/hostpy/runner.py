# Runs one Ansible module on the host: ``python3 -c "<this file>"`` with a JSON payload on
# stdin (the module's source, pbe's own ``ansible.module_utils`` and the task's arguments).
# The files are served from memory: nothing is written on the host. Python >= 3.6.
import importlib.abc
import importlib.util
import json
import sys
import traceback

MARK = "\n<<pbe-module-result>>\n"
RAW = sys.stdin.buffer.read()
payload = json.loads(RAW.decode("utf-8"))
sys.stdin = open("/dev/null")
FILES = payload["files"]
DIRS = {k.rsplit("/", n)[0] for k in FILES for n in range(1, k.count("/") + 1)}


class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        base = fullname.replace(".", "/")
        if base + ".py" in FILES:
            return importlib.util.spec_from_loader(fullname, self)
        if base in DIRS or base + "/__init__.py" in FILES:
            return importlib.util.spec_from_loader(fullname, self, is_package=True)
        if base.split("/")[0] in ("ansible",):
            raise ImportError("No module named %r (pbe provides only part of ansible.module_utils)"
                              % fullname, name=fullname)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        base = module.__name__.replace(".", "/")
        key = base + ".py" if base + ".py" in FILES else base + "/__init__.py"
        if key.endswith("__init__.py") or base in DIRS:
            module.__path__ = []
        source = FILES.get(key, "")
        exec(compile(source, "<pbe>/" + key, "exec"), module.__dict__)


def emit(result):
    sys.__stdout__.write(MARK + json.dumps(result) + "\n")
    sys.__stdout__.flush()


sys.meta_path.insert(0, Finder())
sys.argv = [payload["name"]]
import ansible.module_utils.basic as basic  # noqa: E402

basic._set_run(payload["run"], emit, RAW)
main = {"__name__": "__main__", "__file__": payload["name"] + ".py", "__builtins__": __builtins__,
        "__package__": payload.get("package") or None}
try:
    exec(compile(payload["module"], payload["name"] + ".py", "exec"), main)
except SystemExit:
    pass
except BaseException:
    basic._emitted.append(True)
    error = traceback.format_exc()
    emit({"failed": True, "msg": "MODULE FAILURE: " + error.strip().splitlines()[-1],
          "exception": error})
if not basic._emitted:
    emit({"failed": True, "msg": "MODULE FAILURE: the module ended without a result"})
