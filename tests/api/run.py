#!/usr/bin/env python3
"""run.py: runs every test_* function in tests/api/test_*.py against a running stack.

Standard library only. Prints one line per test and ends with
`api: N passed, N failed`. Select with `run.py NAME_SUBSTRING…`.
A module that does not import counts as a failure, shown with its traceback;
so does a run in which no test ran.
"""
import importlib.util
import pathlib
import sys
import time
import traceback

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main(argv):
    passed = failed = 0
    wanted = argv[1:]
    if sys.flags.optimize:
        # python -O or PYTHONOPTIMIZE strips every assert: each test would pass.
        print("FAIL run.py: asserts are off (python -O or PYTHONOPTIMIZE); run without them")
        print("api: 0 passed, 1 failed")
        return 1
    for path in sorted(HERE.glob("test_*.py")):
        try:
            spec = importlib.util.spec_from_file_location(path.stem, path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
        except Exception:  # its tests cannot run: that is a failure, not a skip
            failed += 1
            print(f"FAIL {path.stem} (does not import)\n{traceback.format_exc()}", flush=True)
            continue
        tests = [(n, f) for n, f in vars(mod).items() if n.startswith("test_") and callable(f)]
        tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
        for name, fn in tests:
            full = f"{path.stem}.{name}"
            if wanted and not any(w in full for w in wanted):
                continue
            start = time.monotonic()
            try:
                fn()
            except Exception:  # a test's failure, reported, never fatal to the run
                failed += 1
                print(f"FAIL {full}\n{traceback.format_exc()}", flush=True)
            else:
                passed += 1
                print(f"ok   {full} ({(time.monotonic() - start) * 1000:.0f} ms)", flush=True)
    if passed + failed == 0:
        print("FAIL run.py: no test ran" + (f" (none matches {' '.join(wanted)})" if wanted else ""))
        failed = 1
    print(f"api: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
