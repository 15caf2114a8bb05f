# attack: write-repo: changes the mode, times and extended attributes of the reference solution and its folder (Landlock does not see a file's metadata; seccomp refuses it)
# no-math
# expect: fail: not implemented yet
"""Landlock (ABI <= 7) does not cover chmod, utime(s) or xattrs, and seccomp lets them through: a worker running
as the files' owner (root here, capabilities dropped) changes modes, times and extended attributes of files
it may not even read, anywhere on the machine. Targets found as an attacker would: through the grader package."""
import os, sys
root = os.path.dirname(os.path.dirname(sys.modules["grader"].__file__))
results = []
def attempt(what, fn, *a):
    try:
        fn(*a); results.append((what, "DONE"))
    except OSError as e:
        results.append((what, f"refused: {e}"))
sol = os.path.join(root, "solutions", "layernorm.py")
attempt("chmod 0o666 " + sol, os.chmod, sol, 0o666)
attempt("chmod 0o777 solutions/", os.chmod, os.path.join(root, "solutions"), 0o777)
attempt("utime 1970 " + sol, os.utime, sol, (0, 0))
attempt("setxattr user.nk on " + sol, os.setxattr, sol, "user.nk", b"candidate was here")
print(results)
def layernorm_forward(x, gamma, beta, eps=1e-5):
    raise NotImplementedError
def layernorm_backward(dy, cache):
    raise NotImplementedError
