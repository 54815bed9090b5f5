"""Gradient Lab's charts: pure functions from tidy pandas frames to Altair charts.

One module per thing charted; callers import the module they use (``from charts import
training`` or ``from charts.training import loss_chart``). Nothing here imports streamlit,
TensorFlow, Keras or the engine (``models``): tests/test_architecture.py checks it.

- ``style``: what the modules share: sizes, palettes, run colours, ``LABEL_KEYS``, the row
  limit (``MAX_ROWS``) and the thinning helpers that keep a chart within it, log floors.
- ``training``: the loss and validation loss (and accuracy) over steps, with reference lines.
- ``gradients``: per-layer gradient norms over steps (with clipping), the layer x step
  heatmap, and the latest per-layer bars (gradient norm, dead or saturated units).
- ``boundary``: the decision boundary (or regression surface) over the 2-D input.
- ``recurrent``: the gradient through time and the LSTM forget gate.
- ``compare``: the linked views of saved runs (the Compare page).
- ``sweep``: a sweep's result grid and its one-field lines.
- ``concepts``: the concept pages' charts (activations, pooling, optimizers, CNN filters).
- ``questions``: the Questions cards' evidence charts.
- ``vega``: charts as Vega-Lite specs a live page redraws cheaply (stable dataset names, data
  as bytes, specs kept until their data changes).

Every user-facing string is read from the ``labels`` mapping each chart function takes.
"""
