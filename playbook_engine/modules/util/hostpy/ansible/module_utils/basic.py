# pbe's own AnsibleModule, for the Ansible modules a project ships in library/: the public
# API those modules call (arguments, exit_json/fail_json, run_command, file helpers),
# written for pbe. It runs on the host under its Python (>= 3.6), fed by runner.py.
import datetime
import grp
import hashlib
import json
import os
import platform
import pwd
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile

from ansible.module_utils import distro
from ansible.module_utils.ansible_release import __version__ as _VERSION
from ansible.module_utils.common.process import get_bin_path as _find_bin
from ansible.module_utils.common.text.converters import (
    container_to_text as json_dict_bytes_to_unicode,  # noqa: F401
)
from ansible.module_utils.common.text.converters import jsonify, to_bytes, to_native, to_text  # noqa: F401
from ansible.module_utils.common.text.formatters import bytes_to_human, human_to_bytes  # noqa: F401
from ansible.module_utils.errors import AnsibleFallbackNotFound
from ansible.module_utils.parsing.convert_bool import BOOLEANS, boolean  # noqa: F401
from ansible.module_utils.six import PY2, PY3, iteritems, string_types  # noqa: F401

NO_LOG_MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
FILE_COMMON_ARGUMENTS = {
    "mode": {"type": "raw"},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "seuser": {"type": "str"},
    "serole": {"type": "str"},
    "selevel": {"type": "str"},
    "setype": {"type": "str"},
    "attributes": {"type": "str", "aliases": ["attr"]},
    "unsafe_writes": {"type": "bool", "default": False},
}
_run = {}
_emit = [None]
_emitted = []
_payload = [b""]


def _set_run(run, emit, payload=b""):
    """The task's arguments and the run's flags (check, diff, verbosity, name), and the
    runner's whole payload (for common.respawn)."""
    _run.clear()
    _run.update(run)
    _emit[0] = emit
    _payload[0] = payload


def env_fallback(*args, **kwargs):
    for name in args:
        if name in os.environ:
            return os.environ[name]
    raise AnsibleFallbackNotFound


def _load_params():
    """The task's arguments (Ansible reads them from its arguments file)."""
    return dict(_run.get("args") or {})


def is_executable(path):
    """Executable by anyone: its owner, its group or others."""
    return bool(os.stat(path).st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))


def get_platform():
    return platform.system()


def get_distribution():
    """The Linux distribution's id, capitalized (``Debian``, ``Redhat``, ``Amazon``);
    ``OtherLinux`` when unknown, None elsewhere than on Linux."""
    if platform.system() != "Linux":
        return None
    found = distro.id().capitalize()
    return {"Amzn": "Amazon", "Rhel": "Redhat", "": "OtherLinux"}.get(found, found)


def get_distribution_version():
    return distro.version() if platform.system() == "Linux" else None


def remove_values(value, no_log_strings):
    """``value`` with every ``no_log_strings`` string masked, in containers too."""
    return _masked(value, sorted((_to_str(s) for s in no_log_strings), key=len, reverse=True))


def sanitize_keys(obj, no_log_strings, ignore_keys=frozenset()):
    """``obj`` with the ``no_log_strings`` masked in the keys of its dicts (values kept)."""
    secrets = sorted((_to_str(s) for s in no_log_strings), key=len, reverse=True)
    if isinstance(obj, dict):
        return {(k if k in ignore_keys else _masked(k, secrets)):
                sanitize_keys(v, no_log_strings, ignore_keys) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return type(obj)(sanitize_keys(v, no_log_strings, ignore_keys) for v in obj)
    return obj


def missing_required_lib(library, reason=None, url=None):
    msg = "Failed to import the required Python library (%s) on %s's Python %s." % (
        library, platform.node(), sys.executable)
    if reason:
        msg += " This is required %s." % reason
    if url:
        msg += " See %s for more info." % url
    return msg + " Please read the module documentation and install it in the appropriate location."


class _Invalid(ValueError):
    pass


def _to_str(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def _to_list(value):
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, str):
        return [v for v in value.split(",")] if value else []
    if isinstance(value, (int, float)):
        return [str(value)]
    raise _Invalid("%r cannot be converted to a list" % type(value).__name__)


def _to_dict(value):
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        if value.strip().startswith("{"):
            return json.loads(value)
        out = {}
        for field in shlex.split(value.replace(",", " ")):
            if "=" not in field:
                raise _Invalid("dictionary requested, could not parse JSON or key=value")
            key, _, val = field.partition("=")
            out[key.strip()] = val.strip()
        return out
    raise _Invalid("%r cannot be converted to a dict" % type(value).__name__)


def _to_bool(value):
    try:
        return boolean(value)
    except TypeError as exc:
        raise _Invalid(str(exc))


def _to_int(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (str, bytes)):
        return int(value)
    raise _Invalid("%r cannot be converted to an int" % type(value).__name__)


def _to_float(value):
    if isinstance(value, (int, float, str, bytes)) and not isinstance(value, bool):
        return float(value)
    raise _Invalid("%r cannot be converted to a float" % type(value).__name__)


def _to_path(value):
    return os.path.expanduser(os.path.expandvars(_to_str(value)))


def _to_json(value):
    if isinstance(value, (str, bytes)):
        return _to_str(value).strip()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    raise _Invalid("%r cannot be converted to json" % type(value).__name__)


def _to_bytes(value):
    return human_to_bytes(value)


def _to_bits(value):
    return human_to_bytes(value, isbits=True)


_CONVERT = {
    "str": _to_str, "list": _to_list, "dict": _to_dict, "bool": _to_bool, "int": _to_int,
    "float": _to_float, "path": _to_path, "raw": lambda v: v, "json": _to_json,
    "jsonarg": _to_json, "bytes": _to_bytes, "bits": _to_bits,
}


class _Spec(object):
    """Checks and converts one level of parameters against an argument spec, in the order
    Ansible documents: aliases, unknown names, relations, fallbacks, required, defaults,
    types, choices, then nested options."""

    def __init__(self, module_name, errors, secrets):
        self.name = module_name
        self.errors = errors
        self.secrets = secrets

    def check(self, spec, params, relations, where=""):
        legal = self._aliases(spec, params)
        unknown = sorted(k for k in params if k not in legal and not k.startswith("_ansible_"))
        if unknown:
            self.errors.append("Unsupported parameters for (%s) module: %s%s. Supported "
                               "parameters include: %s." % (self.name, ", ".join(unknown), where,
                                                            _supported(spec)))
        self._relations(params, relations, where)
        self._fallbacks(spec, params)
        missing = sorted(n for n, o in spec.items() if (o or {}).get("required") and params.get(n) is None)
        if missing:
            self.errors.append("missing required arguments: %s%s" % (", ".join(missing), where))
        for name, option in spec.items():
            option = option or {}
            if name not in params:
                params[name] = option.get("default")
            if params[name] is not None:
                params[name] = self._convert(name, params[name], option, where)
            if option.get("no_log") and params[name] not in (None, ""):
                self.secrets.add(_to_str(params[name]))
            self._choices(name, params[name], option, where)
            if option.get("options") and params[name] is not None:
                self._nested(name, params, option, where)
        return params

    def _aliases(self, spec, params):
        legal = set(spec)
        for name, option in spec.items():
            for alias in (option or {}).get("aliases") or ():
                legal.add(alias)
                if alias in params:
                    value = params.pop(alias)
                    params.setdefault(name, value)
        return legal

    def _fallbacks(self, spec, params):
        for name, option in spec.items():
            fallback = (option or {}).get("fallback")
            if params.get(name) is not None or not fallback:
                continue
            strategy, rest = fallback[0], fallback[1:]
            args = [a for a in rest if not isinstance(a, dict)]
            kwargs = ([a for a in rest if isinstance(a, dict)] or [{}])[0]
            if args and isinstance(args[0], (list, tuple)):
                args = list(args[0])
            try:
                params[name] = strategy(*args, **kwargs)
            except AnsibleFallbackNotFound:
                continue

    def _convert(self, name, value, option, where):
        kind = option.get("type") or "str"
        convert = kind if callable(kind) else _CONVERT.get(kind)
        if convert is None:
            self.errors.append("implementation error: unknown type %s requested for %s" % (kind, name))
            return value
        try:
            value = convert(value)
        except (_Invalid, ValueError, TypeError) as exc:
            self.errors.append("argument '%s' is of type %s%s and we were unable to convert to "
                               "%s: %s" % (name, type(value), where, kind, exc))
            return value
        elements = option.get("elements")
        if kind == "list" and elements and not option.get("options"):
            value = [self._convert(name, v, {"type": elements}, where) for v in value]
        return value

    def _choices(self, name, value, option, where):
        choices = option.get("choices")
        if not choices or value is None:
            return
        values = value if isinstance(value, list) else [value]
        wrong = [v for v in values if v not in choices and _to_str(v) not in [_to_str(c) for c in choices]]
        if wrong:
            self.errors.append("value of %s must be one of: %s, got: %s%s" % (
                name, ", ".join(_to_str(c) for c in choices), ", ".join(_to_str(w) for w in wrong), where))

    def _nested(self, name, params, option, where):
        relations = {k: option.get(k) for k in _RELATIONS}
        inner = " found in %s" % name
        value = params[name]
        if option.get("type") == "list" and option.get("elements", "dict") == "dict":
            params[name] = [self.check(option["options"], dict(_to_dict(v)), relations, inner)
                            for v in value]
        elif isinstance(value, dict):
            params[name] = self.check(option["options"], dict(value), relations, inner)

    def _relations(self, params, relations, where):
        given = [k for k, v in params.items() if v is not None]
        for group in relations.get("mutually_exclusive") or ():
            found = [k for k in group if k in given]
            if len(found) > 1:
                self.errors.append("parameters are mutually exclusive: %s%s" % ("|".join(found), where))
        for group in relations.get("required_one_of") or ():
            if not any(k in given for k in group):
                self.errors.append("one of the following is required: %s%s" % (", ".join(group), where))
        for group in relations.get("required_together") or ():
            if any(k in given for k in group) and not all(k in given for k in group):
                self.errors.append("parameters are required together: %s%s" % (", ".join(group), where))
        for rule in relations.get("required_if") or ():
            key, val, needed = rule[0], rule[1], rule[2]
            anyof = len(rule) > 3 and rule[3]
            if params.get(key) != val:
                continue
            absent = [k for k in needed if k not in given]
            if absent and (not anyof or len(absent) == len(needed)):
                self.errors.append("%s is %s but %s of the following are missing: %s%s" % (
                    key, val, "any" if anyof else "all", ", ".join(absent), where))
        for key, needed in (relations.get("required_by") or {}).items():
            needed = [needed] if isinstance(needed, str) else needed
            absent = [k for k in needed if k not in given]
            if key in given and absent:
                self.errors.append("missing parameter(s) required by '%s': %s" % (key, ", ".join(absent)))


def _supported(spec):
    names = []
    for name in sorted(spec):
        aliases = (spec[name] or {}).get("aliases")
        names.append("%s (%s)" % (name, ", ".join(aliases)) if aliases else name)
    return ", ".join(names)


_RELATIONS = ("mutually_exclusive", "required_one_of", "required_together", "required_if", "required_by")


class AnsibleModule(object):
    def __init__(self, argument_spec, bypass_checks=False, no_log=False, mutually_exclusive=None,
                 required_together=None, required_one_of=None, add_file_common_args=False,
                 supports_check_mode=False, required_if=None, required_by=None):
        self.argument_spec = dict(argument_spec)
        if add_file_common_args:
            for key, option in FILE_COMMON_ARGUMENTS.items():
                self.argument_spec.setdefault(key, option)
        self.supports_check_mode = supports_check_mode
        self.check_mode = bool(_run.get("check"))
        self._diff = bool(_run.get("diff"))
        self._verbosity = int(_run.get("verbosity") or 0)
        self._name = _run.get("name", "module")
        self._debug = False
        self.no_log = no_log or bool(_run.get("no_log"))
        self._warnings = []
        self._deprecations = []
        self._clean = []
        self._tmpdir = None
        self._secrets = set()
        self.ansible_version = _VERSION
        self.run_command_environ_update = {}
        relations = {"mutually_exclusive": mutually_exclusive, "required_one_of": required_one_of,
                     "required_together": required_together, "required_if": required_if,
                     "required_by": required_by}
        errors = []
        raw = dict(_run.get("args") or {})
        self.params = _Spec(self._name, errors, self._secrets).check(self.argument_spec, raw, relations)
        if self.check_mode and not supports_check_mode:
            self.exit_json(skipped=True, msg="remote module (%s) does not support check mode" % self._name)
        if errors and not bypass_checks:
            self.fail_json(msg=errors[0])

    # -- results --------------------------------------------------------------------------

    def exit_json(self, **kwargs):
        self._finish(kwargs)
        sys.exit(0)

    def fail_json(self, msg=None, **kwargs):
        kwargs["failed"] = True
        kwargs["msg"] = msg if msg is not None else "The module failed without saying why"
        self._finish(kwargs)
        sys.exit(1)

    def _finish(self, result):
        if "path" in result:
            _add_path_info(result)
        if self._warnings:
            result["warnings"] = list(self._warnings)
        if self._deprecations:
            result["deprecations"] = list(self._deprecations)
        result = _masked(result, sorted(self._secrets, key=len, reverse=True))
        for path in self._clean:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.lexists(path):
                os.unlink(path)
        _emitted.append(True)
        _emit[0](json.loads(json.dumps(result, default=_jsonable)))

    def warn(self, warning):
        self._warnings.append(to_text(warning))

    def deprecate(self, msg, version=None, date=None, collection_name=None):
        self._deprecations.append({"msg": msg, "version": version, "date": date,
                                   "collection_name": collection_name})

    def log(self, msg, log_args=None):
        pass

    def debug(self, msg):
        pass

    def jsonify(self, data):
        return json.dumps(data, default=_jsonable)

    def from_json(self, data):
        return json.loads(data)

    def boolean(self, arg):
        return boolean(arg)

    # -- commands -------------------------------------------------------------------------

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        try:
            return _find_bin(arg, opt_dirs=opt_dirs)
        except ValueError as exc:
            if required:
                self.fail_json(msg=to_text(exc))
            return None

    def run_command(self, args, check_rc=False, close_fds=True, executable=None, data=None,
                    binary_data=False, path_prefix=None, cwd=None, use_unsafe_shell=False,
                    prompt_regex=None, environ_update=None, umask=None, encoding="utf-8",
                    errors="surrogate_or_strict", expand_user_and_vars=True, pass_fds=None,
                    before_communicate_callback=None, ignore_invalid_cwd=True,
                    handle_exceptions=True):
        shell = bool(use_unsafe_shell)
        argv = _argv(args, shell, expand_user_and_vars)
        env = dict(os.environ)
        env.update(self.run_command_environ_update)
        env.update(environ_update or {})
        if path_prefix:
            env["PATH"] = "%s:%s" % (path_prefix, env.get("PATH", ""))
        if cwd and not os.path.isdir(cwd):
            if not ignore_invalid_cwd:
                self.fail_json(msg="Provided cwd is not a valid directory: %s" % cwd)
            cwd = None
        stdin = None
        if data is not None:
            stdin = to_bytes(data) + (b"" if binary_data else b"\n")
        old_umask = os.umask(umask) if umask is not None else None
        try:
            proc = subprocess.Popen(argv, shell=shell, executable=executable if shell else None,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, cwd=cwd, env=env, close_fds=close_fds,
                                    pass_fds=pass_fds or ())
            if before_communicate_callback:
                before_communicate_callback(proc)
            out, err = proc.communicate(stdin)
            rc = proc.returncode
        except (OSError, IOError) as exc:
            if not handle_exceptions:
                raise
            self.fail_json(rc=getattr(exc, "errno", 1) or 1, msg=to_native(exc), cmd=_shown(argv))
        finally:
            if old_umask is not None:
                os.umask(old_umask)
        if encoding is not None:
            mode = "surrogateescape" if errors.startswith("surrogate") else errors
            out, err = out.decode(encoding, mode), err.decode(encoding, mode)
        if rc != 0 and check_rc:
            self.fail_json(cmd=_shown(argv), rc=rc, stdout=out, stderr=err,
                           msg=to_native(err).rstrip() or "non-zero return code")
        return rc, out, err

    # -- files ----------------------------------------------------------------------------

    @property
    def tmpdir(self):
        if self._tmpdir is None:
            self._tmpdir = tempfile.mkdtemp(prefix="pbe-module-")
            self._clean.append(self._tmpdir)
        return self._tmpdir

    @property
    def no_log_values(self):
        return self._secrets

    def add_cleanup_file(self, path):
        """Removed when the module ends."""
        if path not in self._clean:
            self._clean.append(path)

    def check_file_absent_if_check_mode(self, file_path):
        return self.check_mode and not os.path.exists(file_path)

    def preserved_copy(self, src, dest):
        """A copy of ``src`` at ``dest`` with its mode, times and (when allowed) owner."""
        shutil.copy2(src, dest)
        info = os.stat(src)
        try:
            os.chown(dest, info.st_uid, info.st_gid)
        except OSError:
            pass

    def cleanup(self, tmpfile):
        if os.path.exists(tmpfile):
            try:
                os.unlink(tmpfile)
            except OSError as exc:
                sys.stderr.write("could not cleanup %s: %s\n" % (tmpfile, exc))

    def digest_from_file(self, filename, algorithm):
        if not os.path.exists(filename):
            return None
        if os.path.isdir(filename):
            self.fail_json(msg="attempted to take checksum of directory: %s" % filename)
        digest = hashlib.new(algorithm) if isinstance(algorithm, str) else algorithm
        with open(filename, "rb") as handle:
            for block in iter(lambda: handle.read(65536), b""):
                digest.update(block)
        return digest.hexdigest()

    def md5(self, filename):
        return self.digest_from_file(filename, "md5")

    def sha1(self, filename):
        return self.digest_from_file(filename, "sha1")

    def sha256(self, filename):
        return self.digest_from_file(filename, "sha256")

    def backup_local(self, fn):
        if not os.path.exists(fn):
            return ""
        stamp = datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")
        backup = "%s.%s.%s~" % (fn, os.getpid(), stamp)
        try:
            shutil.copy2(fn, backup)
        except (shutil.Error, IOError) as exc:
            self.fail_json(msg="Could not make backup of %s to %s: %s" % (fn, backup, exc))
        return backup

    def atomic_move(self, src, dest, unsafe_writes=False, keep_dest_attrs=True):
        if os.path.exists(dest) and keep_dest_attrs:
            info = os.stat(dest)
            try:
                os.chmod(src, stat.S_IMODE(info.st_mode))
                os.chown(src, info.st_uid, info.st_gid)
            except OSError:
                pass
        elif not os.path.exists(dest):
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(src, 0o666 & ~umask)
        try:
            os.rename(src, dest)
        except OSError:
            try:
                shutil.move(src, dest)
            except (OSError, IOError, shutil.Error) as exc:
                self.fail_json(msg="Could not replace file: %s to %s: %s" % (src, dest, exc))

    def load_file_common_arguments(self, params, path=None):
        path = path or params.get("path") or params.get("dest")
        keys = ("mode", "owner", "group", "seuser", "serole", "selevel", "setype", "attributes")
        out = {k: params.get(k) for k in keys}
        out["path"] = os.path.expanduser(path) if path else path
        return out

    def set_fs_attributes_if_different(self, file_args, changed, diff=None, expand=True):
        path = file_args["path"]
        changed = self.set_owner_if_different(path, file_args.get("owner"), changed, diff, expand)
        changed = self.set_group_if_different(path, file_args.get("group"), changed, diff, expand)
        return self.set_mode_if_different(path, file_args.get("mode"), changed, diff, expand)

    set_file_attributes_if_different = set_fs_attributes_if_different
    set_directory_attributes_if_different = set_fs_attributes_if_different

    def set_owner_if_different(self, path, owner, changed, diff=None, expand=True):
        if owner is None:
            return changed
        uid = int(owner) if str(owner).isdigit() else _lookup(pwd.getpwnam, owner, self, "user")
        return self._chown(path, uid, -1, changed)

    def set_group_if_different(self, path, group, changed, diff=None, expand=True):
        if group is None:
            return changed
        gid = int(group) if str(group).isdigit() else _lookup(grp.getgrnam, group, self, "group")
        return self._chown(path, -1, gid, changed)

    def _chown(self, path, uid, gid, changed):
        info = os.lstat(path)
        if (uid == -1 or info.st_uid == uid) and (gid == -1 or info.st_gid == gid):
            return changed
        if not self.check_mode:
            os.lchown(path, uid, gid)
        return True

    def set_mode_if_different(self, path, mode, changed, diff=None, expand=True):
        if mode is None:
            return changed
        current = stat.S_IMODE(os.lstat(path).st_mode)
        if isinstance(mode, int):
            wanted = mode
        elif str(mode).isdigit():
            wanted = int(str(mode), 8)
        else:
            return self._symbolic_mode(path, str(mode), current, changed)
        if wanted == current:
            return changed
        if not self.check_mode:
            os.chmod(path, wanted)
        return True

    def _symbolic_mode(self, path, mode, current, changed):
        """A symbolic mode (``u+x``) is applied by chmod itself, then compared."""
        if self.check_mode:
            return True
        rc, _, err = self.run_command(["chmod", mode, path])
        if rc != 0:
            self.fail_json(path=path, msg="mode must be in octal or symbolic form: %s" % err.strip())
        return changed or stat.S_IMODE(os.lstat(path).st_mode) != current

    def selinux_enabled(self):
        return os.path.exists("/sys/fs/selinux/enforce")

    def selinux_mls_enabled(self):
        return False

    def set_default_selinux_context(self, path, changed):
        return changed


def _add_path_info(result):
    """What Ansible adds to a result that names a ``path``: the file's state."""
    path = result["path"]
    try:
        info = os.lstat(to_bytes(path))
    except (OSError, TypeError, ValueError):
        result.setdefault("state", "absent")
        return
    kind = "link" if stat.S_ISLNK(info.st_mode) else "directory" if stat.S_ISDIR(info.st_mode) else "file"
    if kind == "file" and info.st_nlink > 1:
        kind = "hard"
    result.update(uid=info.st_uid, gid=info.st_gid, mode="0%03o" % stat.S_IMODE(info.st_mode),
                  size=info.st_size)
    result.setdefault("state", kind)
    for key, find, attr, value in (("owner", pwd.getpwuid, "pw_name", info.st_uid),
                                   ("group", grp.getgrgid, "gr_name", info.st_gid)):
        try:
            result[key] = getattr(find(value), attr)
        except KeyError:
            result[key] = str(value)


def _argv(args, shell, expand):
    """What Popen takes: a string for the shell, else a list (a string split as sh would)."""
    if isinstance(args, (list, tuple)):
        argv = [to_native(a) for a in args]
        if shell:
            return " ".join(shlex.quote(a) for a in argv)
    else:
        argv = to_native(args)
        if shell:
            return argv
        argv = shlex.split(argv)
    if expand:
        argv = [os.path.expanduser(os.path.expandvars(a)) for a in argv]
    return argv


def _lookup(find, name, module, kind):
    try:
        return getattr(find(name), "pw_uid" if kind == "user" else "gr_gid")
    except KeyError:
        module.fail_json(msg="chown failed: failed to look up %s %s" % (kind, name))


def _shown(argv):
    return argv if isinstance(argv, str) else " ".join(shlex.quote(a) for a in argv)


def _jsonable(value):
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def _masked(value, secrets):
    if not secrets:
        return value
    if isinstance(value, dict):
        return {k: _masked(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, NO_LOG_MASK)
    return value
