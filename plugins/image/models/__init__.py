"""Model families of the image task: a linear baseline, an MLP and a CNN.

The modules named after a family (linear, mlp, cnn) and :mod:`.recipe` import
no torch, so registering the plugin stays cheap; the torch code lives in
:mod:`.networks`, :mod:`.data`, :mod:`.augment`, :mod:`.training` and
:mod:`.estimator`, imported only when a model is built or loaded.
"""
