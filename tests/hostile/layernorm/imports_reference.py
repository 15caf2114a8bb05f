# hostile: imports the reference solution instead of writing one
# within: 10
# expect: error/load: off limits while grading
# no-pass
from solutions.layernorm import layernorm_forward, layernorm_backward
