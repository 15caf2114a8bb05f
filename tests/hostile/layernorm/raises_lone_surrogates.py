# broken: its exceptions carry lone surrogates, which no UTF-8 output can hold
# within: 10
# no-pass
# expect: fail: raised Boom
"""Exception messages with lone surrogates (legal in a Python str, not encodable as UTF-8)."""
class Boom(Exception):
    pass
def layernorm_forward(x, gamma, beta, eps=1e-5):
    raise Boom("bad \ud800 value")
def layernorm_backward(dy, cache):
    raise Boom("bad \udfff value")
