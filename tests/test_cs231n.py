"""`grade cs231n`, and a candidate's file graded as part of its package (grader/core/package.py).

The assignment folders are written here, in the layouts of three course years (2017: absolute imports, no
layer or group norm, `use_batchnorm`; 2019: absolute imports, `dropout`, `normalization`; 2021 on:
relative imports, `dropout_keep_ratio`), from small templates filled with the reference solutions' pieces,
the mutants' wrong ones, or the template's own stubs.
"""

from __future__ import annotations

import ast
import json
import os
import textwrap
from pathlib import Path

import pytest
from helpers import CATALOG, ROOT, grade, grade_many
from test_lockdown import NEEDS_KERNEL

from grader.core.package import CandidatePackage, package_of, package_refusal
from grader.core.unwritten import PackageSource
from grader.cs231n import ABSENT, GRADED, NOT_IMPLEMENTED, AssignmentError, find_package, read_problem


# ---------------------------------------------------------------------------------------- the templates
def pieces(path: Path, *names: str) -> str:
    """The source of the named top-level functions and classes of a file (all of them without names)."""
    text = path.read_text(encoding="utf-8")
    nodes = [n for n in ast.parse(text).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    return "\n\n\n".join(ast.get_source_segment(text, n) for n in nodes if not names or n.name in names) + "\n\n\n"


def solution(slug: str, *names: str) -> str:
    return pieces(ROOT / "solutions" / f"{slug}.py", *names)


def mutant(slug: str, name: str) -> str:
    return pieces(ROOT / "tests" / "mutants" / slug / f"{name}.py")


HELPERS = solution(
    "fc_net_norm", "affine_forward", "affine_backward", "relu_forward", "relu_backward", "dropout_forward",
    "dropout_backward", "softmax_loss",
)  # fmt: skip
HEADER = "from builtins import range\nimport numpy as np\n\n\n"
# The template's own stubs, as CS231n writes them: the set-up kept, a pass where the work goes.
STUB = '''
def {name}({params}):
    """{name}: the template's docstring."""
    {results} = {nones}
    ###########################################################################
    # TODO: Implement {name}.                                                 #
    ###########################################################################
    pass
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    return {results}


'''
STUB_NET = '''
class FullyConnectedNet(object):
    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization = normalization
        self.params = {}
        pass

    def loss(self, X, y=None):
        scores = None
        pass
        if y is None:
            return scores
        loss, grads = 0.0, {}
        pass
        return loss, grads
'''


DROPOUT_STUB = '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    mask = None
    out = None
    if mode == "train":
        pass
    elif mode == "test":
        pass
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache


'''  # the template's own: called, it raises AttributeError on None, yet it is "not implemented", not a crash


def stub(name: str, params: str, results: str) -> str:
    return STUB.format(name=name, params=params, results=results, nones=", ".join(["None"] * (results.count(",") + 1)))


NET_2017 = '''
class FullyConnectedNet(object):
    def __init__(self, hidden_dims, input_dim=3*32*32, num_classes=10,
                 dropout=0, use_batchnorm=False, reg=0.0,
                 weight_scale=1e-2, dtype=np.float32, seed=None):
        self.use_batchnorm = use_batchnorm
        self.use_dropout = dropout > 0
        self.params = {'W1': weight_scale * np.random.randn(input_dim, num_classes), 'b1': np.zeros(num_classes)}

    def loss(self, X, y=None):
        scores, cache = affine_forward(X, self.params['W1'], self.params['b1'])
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        _, dw, db = affine_backward(dscores, cache)
        return loss, {'W1': dw, 'b1': db}
'''
FAST_LAYERS = """try:
    from {dot}im2col_cython import col2im_cython, im2col_cython
except ImportError:
    print('run the following from the cs231n directory and try again:')
    print('python setup.py build_ext --inplace')
"""
FAST_LAYERS_UNGUARDED = "from .im2col_cython import col2im_cython, im2col_cython\n"
LAYER_UTILS = """from {dot}layers import *
from {dot}fast_layers import *


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)
"""
FC_NET_HEADER = "from builtins import range\nfrom builtins import object\nimport numpy as np\n\nfrom {top}layers import *\nfrom {top}layer_utils import *\n\n\n"


def net_2021() -> str:
    """The reference's FullyConnectedNet with the newer years' keyword for the keep probability."""
    return solution("fc_net_norm", "FullyConnectedNet").replace("dropout=1,", "dropout_keep_ratio=1,").replace(
        "dropout != 1", "dropout_keep_ratio != 1"
    ).replace('"p": dropout}', '"p": dropout_keep_ratio}')


def package(absolute: bool) -> dict[str, str]:
    dot, top = ("cs231n.", "cs231n.") if absolute else (".", "..")
    return {
        "cs231n/__init__.py": "",
        "cs231n/classifiers/__init__.py": "",
        "cs231n/fast_layers.py": FAST_LAYERS.format(dot=dot),
        "cs231n/layer_utils.py": LAYER_UTILS.format(dot=dot),
        "cs231n/classifiers/fc_net.py": FC_NET_HEADER.format(top=top),
    }


def layout_2017() -> dict[str, str]:
    files = package(absolute=True)
    files["cs231n/layers.py"] = HEADER + HELPERS + solution("batchnorm_running") + solution("spatial_batchnorm")
    files["cs231n/classifiers/fc_net.py"] += NET_2017
    return files


DROPOUT_UNFINISHED = '''
def dropout_forward(x, dropout_param):
    if dropout_param["mode"] == "train":
        raise NotImplementedError("train mode")
    return x, (dropout_param, None)


'''


def layout_2019() -> dict[str, str]:
    """Every problem present; layer norm with eps outside the root, group norm that is instance norm, and a
    dropout_forward whose train mode raises NotImplementedError (only a run can tell)."""
    files = package(absolute=True)
    helpers = HELPERS.replace(solution("fc_net_norm", "dropout_forward"), DROPOUT_UNFINISHED)
    files["cs231n/layers.py"] = (
        HEADER + helpers + solution("batchnorm_running") + mutant("layernorm_cs231n", "eps_outside_sqrt")
        + solution("spatial_batchnorm") + mutant("groupnorm", "instance_norm")
    )  # fmt: skip
    files["cs231n/classifiers/fc_net.py"] += solution("fc_net_norm", "FullyConnectedNet")
    return files


def layout_2021() -> dict[str, str]:
    files = package(absolute=False)
    files["cs231n/layers.py"] = (
        HEADER + HELPERS + solution("batchnorm_running") + solution("layernorm_cs231n") + solution("spatial_batchnorm")
        + solution("groupnorm")
    )  # fmt: skip
    files["cs231n/classifiers/fc_net.py"] += net_2021()
    return files


def layout_unfinished() -> dict[str, str]:
    """2021's layout as handed out, batchnorm_forward done; fast_layers needs its never-built extension."""
    files = package(absolute=False)
    files["cs231n/fast_layers.py"] = FAST_LAYERS_UNGUARDED
    files["cs231n/im2col_cython.pyx"] = "# the Cython source; `python setup.py build_ext --inplace` builds it\n"
    files["cs231n/layers.py"] = (
        HEADER + HELPERS + solution("batchnorm_running", "batchnorm_forward")
        + stub("batchnorm_backward", "dout, cache", "dx, dgamma, dbeta")
        + stub("batchnorm_backward_alt", "dout, cache", "dx, dgamma, dbeta")
        + stub("layernorm_forward", "x, gamma, beta, ln_param", "out, cache")
        + stub("layernorm_backward", "dout, cache", "dx, dgamma, dbeta")
        + stub("spatial_batchnorm_forward", "x, gamma, beta, bn_param", "out, cache")
        + stub("spatial_batchnorm_backward", "dout, cache", "dx, dgamma, dbeta")
        + stub("spatial_groupnorm_forward", "x, gamma, beta, G, gn_param", "out, cache")
        + stub("spatial_groupnorm_backward", "dout, cache", "dx, dgamma, dbeta")
    )  # fmt: skip
    files["cs231n/classifiers/fc_net.py"] += net_2021()
    return files


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


LAYOUTS = {"2017": layout_2017, "2019": layout_2019, "2021": layout_2021, "unfinished": layout_unfinished}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, dict]]:
    """Each layout's `grade cs231n --json` (exit code, document), and the 2021 net's `grade fc_net_norm --file`
    with its speed row, graded two at a time."""
    folders = {year: write(tmp_path_factory.mktemp(f"assignment2-{year}"), build()) for year, build in LAYOUTS.items()}
    # The package itself is a valid PATH too: 2019's is given as its cs231n folder.
    paths = {year: folder / "cs231n" if year == "2019" else folder for year, folder in folders.items()}
    jobs = [("cs231n", str(path), "--json", "--no-speed", "--seed", "5") for path in paths.values()]
    # and the newer years' net alone, with its speed row: the workload builds nets its own way
    jobs.append(("fc_net_norm", "--file", str(folders["2021"] / "cs231n" / "classifiers" / "fc_net.py"), "--json", "--seed", "5"))
    runs = grade_many(jobs)
    keys = [*paths, "2021 fc_net_norm"]
    return {key: (run.code, json.loads(run.stdout) if run.stdout else {"stderr": run.stderr}) for key, run in zip(keys, runs)}


def outcomes(document: dict) -> dict[str, dict]:
    return {o["problem"]: o for o in document["problems"]}


# ---------------------------------------------------------------------------------------- three course years
def test_2017_grades_what_it_has_and_reports_the_rest_absent(graded) -> None:
    code, document = graded["2017"]
    found = outcomes(document)
    assert {slug: o["state"] for slug, o in found.items()} == {
        "batchnorm_running": GRADED, "spatial_batchnorm": GRADED, "layernorm_cs231n": ABSENT, "groupnorm": ABSENT,
        "fc_net_norm": ABSENT,
    }, document  # fmt: skip
    assert found["batchnorm_running"]["passed"] == found["batchnorm_running"]["total"] > 0
    assert found["spatial_batchnorm"]["passed"] == found["spatial_batchnorm"]["total"] > 0
    assert "has no layernorm_forward, layernorm_backward" in found["layernorm_cs231n"]["note"]
    assert "another course year's signature" in found["fc_net_norm"]["note"] and "normalization" in found["fc_net_norm"]["note"]
    assert code == 0 and document["all_passed"], "absent problems are not failures"


def test_2019_names_the_mistakes_of_the_failing_problems(graded) -> None:
    code, document = graded["2019"]
    found = outcomes(document)
    assert all(o["state"] == GRADED for o in found.values()), document
    assert found["batchnorm_running"]["passed"] == found["batchnorm_running"]["total"]
    assert any("eps was added outside the square root" in m for m in found["layernorm_cs231n"]["mistakes"])
    assert any("that is InstanceNorm" in m for m in found["groupnorm"]["mistakes"])
    assert found["groupnorm"]["passed"] < found["groupnorm"]["total"]
    assert found["fc_net_norm"]["unwritten_calls"] == ["dropout_forward (cs231n/layers.py)"], found["fc_net_norm"]
    assert found["fc_net_norm"]["not_implemented"] == []
    assert document["package"] == "." and found["groupnorm"]["file"] == "layers.py"  # PATH was the package
    assert code == 1 and not document["all_passed"]


def test_2021_relative_imports_and_dropout_keep_ratio_pass_everything(graded) -> None:
    code, document = graded["2021"]
    found = outcomes(document)
    assert {o["state"] for o in found.values()} == {GRADED}, document
    assert all(o["passed"] == o["total"] > 0 for o in found.values()), {s: o["note"] for s, o in found.items()}
    assert found["fc_net_norm"]["file"] == "cs231n/classifiers/fc_net.py"
    assert code == 0 and document["all_passed"]


def test_the_newer_keyword_reaches_every_call_the_speed_row_included(graded) -> None:
    code, report = graded["2021 fc_net_norm"]
    (speed,) = [row for row in report["checks"] if row["category"] == "speed"]
    assert speed["status"] != "error" and "unexpected keyword" not in speed["message"], speed
    assert all(row["status"] == "pass" for row in report["checks"] if row["category"] != "speed"), report["checks"]


def test_an_unfinished_folder_says_what_is_not_implemented_and_what_is_absent(graded) -> None:
    code, document = graded["unfinished"]
    found = outcomes(document)
    running = found["batchnorm_running"]
    assert running["state"] == GRADED and running["not_implemented"] == ["batchnorm_backward", "batchnorm_backward_alt"]
    assert 0 < running["passed"] < running["total"]
    for slug, functions in (("layernorm_cs231n", "layernorm_forward"), ("spatial_batchnorm", "spatial_batchnorm_forward")):
        assert found[slug]["state"] == NOT_IMPLEMENTED and functions in found[slug]["not_implemented"]
        assert found[slug]["report"] is None  # nothing ran for it
    # fast_layers needs the compiled extension, which was never built: the net is absent, not an error
    assert found["fc_net_norm"]["state"] == ABSENT and "compiled extension" in found["fc_net_norm"]["note"], found["fc_net_norm"]
    assert code == 1


def test_the_summary_shows_scores_mistakes_and_stubs(tmp_path: Path) -> None:
    folder = write(tmp_path / "assignment2", layout_unfinished())
    (folder / "cs231n" / "fast_layers.py").write_text(FAST_LAYERS.format(dot="."))  # printed, not raised
    (folder / "cs231n" / "classifiers" / "fc_net.py").write_text(FC_NET_HEADER.format(top="..") + STUB_NET)
    run = grade("cs231n", "assignment2", "--no-speed", "--seed", "5", cwd=tmp_path)
    assert run.code == 1, run.stderr
    text = " ".join(run.stdout.split())
    assert "not started" in text and "FullyConnectedNet.loss" in text and "batchnorm_backward_alt" in text
    assert "grade batchnorm_running --file assignment2/cs231n/layers.py --seed 5" in text


# ---------------------------------------------------------------------------------------- read, not run
def test_stubs_and_unwritten_helpers_are_read_from_the_source(tmp_path: Path) -> None:
    files = layout_2021()
    files["cs231n/layers.py"] = files["cs231n/layers.py"].replace(
        solution("fc_net_norm", "dropout_forward"), DROPOUT_STUB
    )
    package_dir = find_package(write(tmp_path, files))
    source = PackageSource(package_dir)
    net = read_problem(CATALOG.get("fc_net_norm"), package_dir, tmp_path, source)
    assert net.state == GRADED and net.unwritten_calls == ["dropout_forward (cs231n/layers.py)"]
    (package_dir / "classifiers" / "fc_net.py").write_text(FC_NET_HEADER.format(top="..") + STUB_NET)
    stubbed = read_problem(CATALOG.get("fc_net_norm"), package_dir, tmp_path, PackageSource(package_dir))
    assert stubbed.state == NOT_IMPLEMENTED and stubbed.not_implemented == ["FullyConnectedNet.loss"]


def test_an_assignment_without_any_of_the_problems_says_so(tmp_path: Path) -> None:
    """Assignment 1's package has a layers.py too, with none of these functions: nothing runs, nothing passes."""
    write(tmp_path, {"cs231n/__init__.py": "", "cs231n/layers.py": HEADER + HELPERS})
    run = grade("cs231n", str(tmp_path), "--no-speed")
    assert run.code == 1 and "is it assignment 2?" in " ".join(run.stdout.split()), run.stdout
    document = json.loads(grade("cs231n", str(tmp_path), "--no-speed", "--json").stdout)
    assert {o["state"] for o in document["problems"]} == {ABSENT} and not document["all_passed"]


def test_one_function_gone_of_several_is_a_failure_not_another_year(tmp_path: Path) -> None:
    files = layout_2021()
    files["cs231n/layers.py"] = files["cs231n/layers.py"].replace("def batchnorm_backward_alt(", "def renamed_alt(")
    package_dir = find_package(write(tmp_path, files))
    outcome = read_problem(CATALOG.get("batchnorm_running"), package_dir, tmp_path, PackageSource(package_dir))
    assert outcome.state == GRADED  # its grading's load row says "batchnorm_backward_alt is missing"


def test_a_path_without_the_package_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(AssignmentError, match="holds no CS231n package"):
        find_package(tmp_path)
    run = grade("cs231n", str(tmp_path))
    assert run.code == 2 and "assignment2 folder" in run.stderr


# ---------------------------------------------------------------------------------------- the package's confinement
def test_a_file_of_a_package_knows_its_package(tmp_path: Path) -> None:
    write(tmp_path, layout_2021())
    net = package_of(tmp_path / "cs231n" / "classifiers" / "fc_net.py")
    assert net == CandidatePackage((tmp_path / "cs231n").resolve(), "cs231n.classifiers.fc_net")
    assert package_of(tmp_path / "cs231n" / "classifiers" / "__init__.py").module == "cs231n.classifiers"
    (tmp_path / "loose.py").write_text("x = 1\n")
    assert package_of(tmp_path / "loose.py") is None
    assert package_of(ROOT / "problems" / "layernorm" / "layernorm.py") is None  # the katas' stubs stand alone


def test_a_package_holding_the_graders_files_is_refused(tmp_path: Path) -> None:
    tree = tmp_path / "cs231n"
    write(tmp_path, {"cs231n/__init__.py": "", "cs231n/layers.py": "x = 1\n", "cs231n/ours/keep.py": ""})
    package = CandidatePackage(tree, "cs231n.layers")
    assert "contains" in package_refusal(package, tmp_path / "checkout", [tree / "ours"])
    assert "contains" in package_refusal(package, tree / "ours", [])  # a checkout inside the package tree
    assert "lies inside" in package_refusal(CandidatePackage(tree / "ours", "ours.keep"), tmp_path / "x", [tree])
    assert package_refusal(package, tmp_path, [tmp_path / "solutions"]) is None  # an assignment kept in a checkout
    try:
        os.link(ROOT / "solutions" / "layernorm.py", tree / "notes.py")
    except OSError:
        pytest.skip("no hard link across these file systems")
    layers = tree / "layers.py"
    run = grade("layernorm_cs231n", "--file", str(layers), "--no-speed", "--json")
    assert run.code == 2 and "one of the grader's own files" in run.stderr, run.stderr
    run = grade("cs231n", str(tmp_path), "--json", "--no-speed")
    assert run.code == 2 and "one of the grader's own files" in run.stderr, run.stderr


def test_a_batch_never_grants_one_hand_in_a_package_holding_another(tmp_path: Path) -> None:
    layers = HEADER + solution("layernorm_cs231n")
    write(tmp_path, {
        "subs/__init__.py": "", "subs/ada/__init__.py": "", "subs/ada/layernorm_cs231n.py": layers,
        "subs/eve/__init__.py": "", "subs/eve/layernorm_cs231n.py": layers,
    })  # fmt: skip
    run = grade("batch", "layernorm_cs231n", str(tmp_path / "subs"), "--json", "-", "--no-speed")
    assert run.code == 2 and "which also holds" in run.stderr, run.stderr
    (tmp_path / "subs" / "__init__.py").unlink()  # each hand-in in a package of its own: graded
    run = grade("batch", "layernorm_cs231n", str(tmp_path / "subs"), "--json", "-", "--no-speed")
    assert run.code == 0, run.stderr


PROBE = textwrap.dedent("""
    import os
    def attempt(name, action):
        try:
            action()
            print(f"{{name}}: ok")
        except OSError as exc:
            print(f"{{name}}: refused {{type(exc).__name__}}")
    here = os.path.dirname(__file__)
    attempt("sibling", lambda: open(os.path.join(here, "layer_utils.py")).read())
    attempt("beside the package", lambda: open(os.path.join(here, "..", "secret.txt")).read())
    attempt("link to a solution", lambda: open(os.path.join(here, "answers.py")).read())
    attempt("solution", lambda: open({solution!r}).read())
    attempt("checkout", lambda: os.listdir({root!r}))
    attempt("store", lambda: os.listdir({home!r}))
""")


@NEEDS_KERNEL
def test_a_package_hand_in_reads_its_package_and_nothing_of_ours(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    files = layout_2021()
    probe = PROBE.format(solution=str(ROOT / "solutions" / "layernorm_cs231n.py"), root=str(ROOT), home=str(home))
    files["cs231n/layers.py"] = probe + files["cs231n/layers.py"]
    files["secret.txt"] = "outside the package\n"
    write(tmp_path, files)
    (tmp_path / "cs231n" / "answers.py").symlink_to(ROOT / "solutions" / "layernorm_cs231n.py")
    run = grade(
        "layernorm_cs231n", "--file", str(tmp_path / "cs231n" / "layers.py"), "--no-speed", "--json",
        env={"NORMKATA_HOME": str(home)},
    )  # fmt: skip
    printed = dict(line.split(": ", 1) for line in run.report["output"]["text"].splitlines() if line)
    assert printed == {
        "sibling": "ok", "beside the package": "refused PermissionError", "link to a solution": "refused PermissionError",
        "solution": "refused PermissionError", "checkout": "refused PermissionError", "store": "refused PermissionError",
    }, printed  # fmt: skip
    assert run.code == 0, run.rows(status="fail")
