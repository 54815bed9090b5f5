"""Backpropagation by hand: a tiny network's forward values and every chain-rule product with
the numbers, set against GradientTape's gradients for the same Keras model."""

import numpy as np
import pandas as pd
import streamlit as st

from models.concepts import BackpropRequest
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


def num(v: float) -> str:
    return f"{v + 0.0:.4g}"  # + 0.0: a gradient of -0.0 reads 0


def vec(values) -> str:
    return r"\begin{bmatrix}" + r" & ".join(num(v) for v in values) + r"\end{bmatrix}"


def mat(values) -> str:
    body = r" \\ ".join(" & ".join(num(v) for v in row) for row in values)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


f = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{ReLU}"}[activation]
st.subheader(t("bp.forward"), anchor=False)
layers, weights, biases = result["layers"], result["weights"], result["biases"]
st.latex(rf"a^{{(0)}} = x = {vec(layers[0]['a'])}")
for i in range(1, len(layers)):
    prev = layers[i - 1]["a"]
    # one step per line: with 4 units a row of it is wider than the page's column
    st.latex(
        rf"\begin{{aligned}} z^{{({i})}} &= a^{{({i - 1})}} W^{{({i})}} + b^{{({i})}} \\ "
        rf"&= {vec(prev)} {mat(weights[i - 1])} + {vec(biases[i - 1])} \\ "
        rf"&= {vec(layers[i]['z'])} \end{{aligned}}"
    )
    if layers[i]["linear"]:
        st.latex(rf"\hat y = z^{{({i})}} = {vec(layers[i]['a'])} \quad \text{{{t('bp.linear')}}}")
    else:
        st.latex(rf"a^{{({i})}} = {f}(z^{{({i})}}) = {vec(layers[i]['a'])}")
st.latex(rf"L = \tfrac12 \sum (\hat y - y)^2 = {result['loss']:.6g}")

st.subheader(t("bp.backward"), anchor=False)
last = len(layers) - 1
for s in result["steps"]:
    i, v = s["layer"], s["value"]
    if s["what"] == "delta_out":
        st.latex(
            rf"\delta^{{({i})}} = \frac{{\partial L}}{{\partial z^{{({i})}}}} = "
            rf"\hat y - y = {vec(v)}"
        )
    elif s["what"] == "dW":
        st.latex(
            rf"\frac{{\partial L}}{{\partial W^{{({i})}}}} = a^{{({i - 1})\top}} \delta^{{({i})}}"
            rf" = {mat(v)}, \quad \frac{{\partial L}}{{\partial b^{{({i})}}}} = \delta^{{({i})}}"
        )
    elif s["what"] == "dL_da":
        st.latex(
            rf"\frac{{\partial L}}{{\partial a^{{({i})}}}} = "
            rf"\delta^{{({i + 1})}} W^{{({i + 1})\top}}"
            rf" = {vec(v)}"
        )
    elif s["what"] == "fprime":
        st.latex(rf"{f}'(z^{{({i})}}) = {vec(v)}")
    elif s["what"] == "delta":
        st.latex(
            rf"\delta^{{({i})}} = \frac{{\partial L}}{{\partial a^{{({i})}}}} "
            rf"\odot {f}'(z^{{({i})}})"
            rf" = {vec(v)}"
        )

st.subheader(t("bp.check"), anchor=False)
rows = []
for i, (hw, tw, hb, tb) in enumerate(
    zip(
        result["hand"]["W"],
        result["tape"]["W"],
        result["hand"]["b"],
        result["tape"]["b"],
        strict=True,
    )
):
    for hand, tape in ((hw, tw), (hb, tb)):
        hand, tape = np.asarray(hand), np.asarray(tape)
        for idx in np.ndindex(hand.shape):  # named as the matrices above are written
            if len(idx) == 2:
                name = t("bp.param.weight", layer=i + 1, row=idx[0] + 1, column=idx[1] + 1)
            else:
                name = t("bp.param.bias", layer=i + 1, entry=idx[0] + 1)
            h, g = float(hand[idx]), float(tape[idx])
            rows.append(
                {
                    t("bp.col.param"): name,
                    t("bp.col.hand"): h,
                    t("bp.col.tape"): g,
                    t("bp.col.diff"): abs(h - g),
                }
            )
st.dataframe(pd.DataFrame(rows), hide_index=True)
gap = result["max_difference"]
st.markdown(t("bp.match" if gap < 1e-5 else "bp.mismatch", gap=f"{gap:.2g}", n=len(rows)))
