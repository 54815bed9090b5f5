"""Backpropagation by hand: a tiny network's forward values and every chain-rule product with
the numbers, set against GradientTape's gradients for the same Keras model."""

import streamlit as st

from models.teaching.concepts import BackpropRequest
from ui import backprop
from ui.concepts import bounds, compute_ui, default, int_input_ui, link_guard_ui
from ui.i18n import t
from ui.router import require_router

require_router()
link_notices_ui = link_guard_ui()  # before the URL-bound widgets
st.title(t("bp.title"), anchor=False)
st.caption(t("bp.intro"))

R = BackpropRequest
ACTS = list(R.model_fields["activation"].annotation.__args__)
c1, c2, c3, c4 = st.columns(4)
n_in = int_input_ui(c1, t("bp.inputs"), 1, 4, 2, key="bp_in")
n_hidden = int_input_ui(c2, t("bp.hidden"), 1, 4, 2, key="bp_h")
n_out = int_input_ui(c3, t("bp.outputs"), 1, 4, 1, key="bp_out")
activation = c4.selectbox(t("bp.activation"), ACTS, key="bp_act", bind="query-params")
seed = int_input_ui(
    st, t("bp.seed"), *bounds(R, "seed"), default(R, "seed"), key="bp_seed", help=t("bp.seed_help")
)
link_notices_ui()  # after them: what the link asked for and did not get
x_default = list(default(R, "inputs")) + [0.0] * 4
y_default = list(default(R, "targets")) + [0.0] * 4
cols = st.columns(int(n_in) + int(n_out))
xs = [
    cols[i].number_input(t("bp.input", i=i + 1), -100.0, 100.0, x_default[i], key=f"bp_x{i}")
    for i in range(int(n_in))
]
ys = [
    cols[int(n_in) + i].number_input(
        t("bp.target", i=i + 1), -100.0, 100.0, y_default[i], key=f"bp_y{i}"
    )
    for i in range(int(n_out))
]

result = compute_ui(
    {
        "kind": "backprop",
        "sizes": [int(n_in), int(n_hidden), int(n_out)],
        "activation": activation,
        "inputs": xs,
        "targets": ys,
        "seed": int(seed),
    }
)
if result is None:
    st.stop()

backprop.forward_ui(result, activation)
backprop.backward_ui(result, activation)
backprop.check_ui(result)
