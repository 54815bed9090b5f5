"""The Backpropagation page's parts: a tiny network's forward pass and every chain-rule
product written out with its numbers (LaTeX), and the hand-computed gradients against
GradientTape's for the same Keras model. The numbers come from the engine
(models.teaching.concepts, in a worker); this module only writes them out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ui.i18n import t

ACTIVATIONS = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{ReLU}"}  # f in LaTeX


def num(v: float) -> str:
    """A number as the equations show it: 4 significant digits."""
    return f"{v + 0.0:.4g}"  # + 0.0: a gradient of -0.0 reads 0


def vec(values) -> str:
    """A row vector in LaTeX."""
    return r"\begin{bmatrix}" + r" & ".join(num(v) for v in values) + r"\end{bmatrix}"


def mat(values) -> str:
    """A matrix (a list of rows) in LaTeX."""
    body = r" \\ ".join(" & ".join(num(v) for v in row) for row in values)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def forward_ui(result: dict, activation: str) -> None:
    """Each layer's z = aW + b and a = f(z), with the numbers, and the loss."""
    f = ACTIVATIONS[activation]
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
            st.latex(
                rf"\hat y = z^{{({i})}} = {vec(layers[i]['a'])} \quad \text{{{t('bp.linear')}}}"
            )
        else:
            st.latex(rf"a^{{({i})}} = {f}(z^{{({i})}}) = {vec(layers[i]['a'])}")
    st.latex(rf"L = \tfrac12 \sum (\hat y - y)^2 = {result['loss']:.6g}")


def backward_ui(result: dict, activation: str) -> None:
    """Each chain-rule step from the loss back to the first layer, with the numbers."""
    f = ACTIVATIONS[activation]
    st.subheader(t("bp.backward"), anchor=False)
    for s in result["steps"]:
        i, v = s["layer"], s["value"]
        if s["what"] == "delta_out":
            st.latex(
                rf"\delta^{{({i})}} = \frac{{\partial L}}{{\partial z^{{({i})}}}} = "
                rf"\hat y - y = {vec(v)}"
            )
        elif s["what"] == "dW":
            st.latex(
                rf"\frac{{\partial L}}{{\partial W^{{({i})}}}} = "
                rf"a^{{({i - 1})\top}} \delta^{{({i})}} = {mat(v)}, \quad "
                rf"\frac{{\partial L}}{{\partial b^{{({i})}}}} = \delta^{{({i})}}"
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


def check_ui(result: dict) -> None:
    """Every parameter's gradient by hand and by GradientTape, and whether they agree."""
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
