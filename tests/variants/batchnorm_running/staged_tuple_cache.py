# variant: the CS231n student layout: a tuple cache of raw intermediates, the staged backward of the computation graph (mean and variance as separate nodes), a closed-form alt
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)

    N, D = x.shape
    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == 'train':
        sample_mean = np.mean(x, axis=0)
        sample_var = np.var(x, axis=0)
        x_norm = (x - sample_mean) / np.sqrt(sample_var + eps)
        out = x_norm * gamma + beta
        cache = (x, gamma, beta, x_norm, sample_mean, sample_var, eps)
        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var
    elif mode == 'test':
        x_norm = (x - running_mean) / np.sqrt(running_var + eps)
        out = x_norm * gamma + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    x, gamma, beta, x_norm, sample_mean, sample_var, eps = cache
    N = x.shape[0]
    dx_norm = dout * gamma
    dgamma = np.sum(dout * x_norm, axis=0)
    dbeta = np.sum(dout, axis=0)

    # var -> x_norm, then var -> x directly (through (x - mean)^2)
    dvar = np.sum(-dx_norm * (x - sample_mean) * 0.5 * (sample_var + eps) ** -1.5, axis=0)
    dx = dvar * np.ones_like(x) / N * 2 * (x - sample_mean)
    # mean -> x_norm directly and through var
    dmean = np.sum(-dx_norm / np.sqrt(sample_var + eps), axis=0)
    dmean += dvar * np.sum(-2 * (x - sample_mean), axis=0) / N
    dx += dmean * np.ones_like(x) / N
    # the direct path
    dx += dx_norm / np.sqrt(sample_var + eps)
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    x, gamma, beta, x_norm, sample_mean, sample_var, eps = cache
    N = x.shape[0]
    dgamma = np.sum(dout * x_norm, axis=0)
    dbeta = np.sum(dout, axis=0)
    dx = (gamma / np.sqrt(sample_var + eps) / N) * (N * dout - dbeta - x_norm * dgamma)
    return dx, dgamma, dbeta
