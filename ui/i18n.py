"""Every user-facing string of the pages and charts, one table per language.

Pages call ``t("key", **values)``; charts get ``chart_labels()``. Adding a language means adding
one table with the same keys (a test checks that every table has every key the code uses).
"""

from __future__ import annotations

from models.config import FIELDS
from models.presets import COMPARISONS, PRESETS
from models.questions import QUESTIONS

EN: dict[str, str] = {
    # -- app and home ---------------------------------------------------------------------------
    "app.title": "Gradient Lab",
    "nav.home": "Home",
    "nav.deep_networks": "Deep Networks",
    "home.title": "Gradient Lab",
    "home.intro": (
        "An interactive lab for learning why deep networks train or fail. Every claim about "
        "vanishing and exploding gradients, dying ReLUs, batch norm, residual connections and "
        "clipping is a one-click experiment here: a real Keras model trains in a worker process "
        "and every layer's gradient is measured, not drawn by hand."
    ),
    "home.pages": "The labs",
    "home.deep_networks": (
        "Train MLPs live: depth, activation, initializer, batch norm, residuals, optimizer and "
        "gradient clipping. Watch loss, per-layer gradient norms and the decision boundary, and "
        "compare up to four configs side by side."
    ),
    "home.start.title": "Start here: watch a gradient vanish",
    "home.start.body": (
        "Four 10-layer nets side by side on one task: a sigmoid net (**A**) and three fixes, "
        "ReLU with He initialization (**B**), batch norm (**C**) and residual connections "
        "(**D**). Press **{train}** on the page that opens and read the gradient heatmaps: a "
        "dark band near the input is a vanishing gradient."
    ),
    "home.start.button": "Open the vanishing-gradient experiment",
    "home.howto": (
        "Each lab page has more experiments in its sidebar, under **{preset}** and "
        "**{comparison}**. Every setting is in the URL, so a link reproduces the screen."
    ),
    # -- deep networks page ---------------------------------------------------------------------
    "dn.title": "Deep Networks",
    "dn.intro": (
        "Build a multilayer perceptron, train it live and watch each layer's gradient. "
        "Depth 0 is the layer nearest the input; the output layer is the deepest."
    ),
    "dn.sidebar.preset": "Preset experiment",
    "dn.sidebar.preset_none": "(choose a preset)",
    "dn.sidebar.comparison": "Side-by-side experiment",
    "dn.sidebar.comparison_none": "(choose a comparison)",
    "dn.preset_loaded": "Loaded preset “{title}”: {claim}",
    "dn.section.data": "Data",
    "dn.section.model": "Model",
    "dn.section.optimizer": "Optimizer",
    "dn.section.train": "Training",
    "dn.clip.label": "Gradient clipping",
    "dn.clip.off": "off",
    "dn.clip.threshold": "Clipping threshold",
    "dn.clip.help": (
        "clipnorm clips each variable's gradient to this norm, global_clipnorm all gradients "
        "together, clipvalue each element."
    ),
    "dn.train": "Train",
    "dn.stop": "Stop",
    "dn.reset": "Reset to defaults",
    "dn.params": "{params:,} parameters · {steps:,} steps ({epochs} epochs of {per_epoch} steps)",
    "dn.url_notice": "Some settings in the link were ignored:",
    "notice.fixed": "ignored {path}: this page uses {value}",
    "notice.choices": "ignored {path}: this page offers {choices}",
    "notice.variant": "ignored config {label}: {error}",
    "notice.unknown_field": "unknown field {path!r}",
    "notice.too_long": "the value of {path} is too long",
    "notice.concept_value": "ignored {param}: this page cannot use {value!r} there",
    "notice.concept_unknown": "ignored unknown parameter {param!r}",
    "notice.concept_too_long": "ignored {param}: the value is too long ({size:,} characters)",
    "dn.invalid_config": "This config cannot be trained: {error}.",
    "dn.invalid_variant": "Config {label} cannot be trained: {error}.",
    "dn.refused": "The run could not start: {error}.",
    "dn.status.queued": "{label}: waiting for a free worker (position {position} in the queue)",
    "dn.status.starting": "{label}: starting",
    "dn.status.running": "{label}: step {step:,} of {total:,} · {wall:.1f} s",
    "dn.status.stopping": "{label}: stopping at step {step:,}…",
    "dn.status.completed": "{label}: completed {step:,} steps in {wall:.1f} s",
    "dn.status.diverged": "{label}: diverged at step {step:,}",
    "dn.status.stopped": "{label}: stopped at step {step:,}",
    "dn.status.failed": "{label}: failed: {reason}",
    "dn.status.interrupted": "{label}: {reason}",
    "dn.stopped_banner": "{label} was stopped at step {step:,}: {reason}.",
    "dn.diverged_banner": (
        "{label} diverged at step {step:,}: {reason} — try clipnorm or a lower learning rate."
    ),
    "dn.empty": "Press **Train** to start. Charts appear here as the model trains.",
    "dn.compare.title": "Side by side",
    "dn.compare.help": (
        "Train up to four configs together on the same data and seed. B, C and D are copies of "
        "A with the fields you list here changed. A blank cell is the same as A."
    ),
    "dn.compare.field": "Field",
    "dn.compare.diff": "What differs",
    "dn.compare.same": "The configs are identical.",
    "dn.download.menu": "Download {label}",
    "dn.download.all": "Download all runs (.zip)",
    "dn.download.all_help": (
        "Every run's metrics (CSV and Parquet), run record (JSON), Keras script and trained "
        "model in one zip archive."
    ),
    "dn.download.csv": "Download metrics (CSV)",
    "dn.download.json": "Download run record (JSON)",
    "dn.download.csv_help": "Long form: one row per step, metric, layer.",
    "dn.download.json_help": "The run record, as `python -m models train --out` writes it.",
    "dn.download.parquet": "Metrics (Parquet)",
    "dn.download.parquet_help": "The same long-form rows as the CSV, typed, for pandas or DuckDB.",
    "dn.download.script": "Keras script (.py)",
    "dn.download.keras": "Trained model (.keras)",
    "dn.download.keras_help": "Load it with keras.saving.load_model(path).",
    "dn.download.keras_unavailable": "The trained model cannot be saved as .keras: {error}",
    "dn.download.script_help": (
        "The same model built and compiled with Keras alone: paste it in a notebook."
    ),
    # -- field labels (one per config field) ----------------------------------------------------
    "field.data.name": "Dataset",
    "field.data.n_samples": "Samples",
    "field.data.noise": "Noise",
    "field.data.test_fraction": "Test fraction",
    "field.data.seq_len": "Sequence length",
    "field.data.seed": "Data seed",
    "field.model.arch": "Architecture",
    "field.model.depth": "Hidden layers",
    "field.model.kernel_size": "Kernel size",
    "field.model.pooling": "Pooling",
    "field.model.width": "Units per layer",
    "field.model.activation": "Activation",
    "field.model.leaky_k": "LeakyReLU slope k",
    "field.model.batch_norm": "Batch norm (before the activation)",
    "field.model.dropout": "Dropout",
    "field.model.residual": "Residual connections",
    "field.model.initializer": "Initializer",
    "field.model.init_scale": "Init std (random_normal)",
    "field.model.l1": "L1",
    "field.model.l2": "L2",
    "field.optimizer.name": "Optimizer",
    "field.optimizer.learning_rate": "Learning rate",
    "field.optimizer.momentum": "Momentum",
    "field.optimizer.clipnorm": "clipnorm",
    "field.optimizer.clipvalue": "clipvalue",
    "field.optimizer.global_clipnorm": "global_clipnorm",
    "field.train.batch_size": "Batch size",
    "field.train.epochs": "Epochs",
    "field.train.seed": "Seed",
    "field.train.record_every": "Record every (steps)",
    "field.train.snapshot_every": "Boundary snapshot every (steps)",
    # -- choices that read better as words --------------------------------------------------------
    "choice.data.name.circle": "Circle",
    "choice.data.name.xor": "XOR",
    "choice.data.name.gauss": "Two Gaussians",
    "choice.data.name.spiral": "Spiral",
    "choice.data.name.plane": "Plane (regression)",
    "choice.data.name.multigauss": "Multi-Gaussian (regression)",
    "choice.data.name.adding": "Adding problem",
    "choice.data.name.recall": "Recall",
    "choice.data.name.shapes": "Shapes (bars and crosses, 16×16)",
    "choice.optimizer.name.sgd": "SGD",
    "choice.optimizer.name.momentum": "SGD + momentum",
    "choice.optimizer.name.adam": "Adam",
    "choice.optimizer.name.rmsprop": "RMSprop",
    # -- charts (keys of charts.LABEL_KEYS, prefixed "chart.") ----------------------------------
    "chart.val_accuracy_mean": "final val accuracy (mean over seeds)",
    "chart.params": "parameters",
    "chart.title_sweep_lines": "Accuracy and model size per value",
    "chart.run": "Config",
    "chart.step": "Step",
    "chart.value": "Value",
    "chart.metric": "Metric",
    "chart.layer": "Layer",
    "chart.depth": "Depth",
    "chart.split": "Split",
    "chart.loss": "loss",
    "chart.val_loss": "val loss",
    "chart.accuracy": "accuracy",
    "chart.val_accuracy": "val accuracy",
    "chart.train": "train",
    "chart.validation": "validation",
    "chart.test": "test",
    "chart.grad_norm": "Gradient norm",
    "chart.log10_grad_norm": "log10 gradient norm",
    "chart.norm_kind": "Norm",
    "chart.pre_clip": "pre-clip (from the tape)",
    "chart.applied_norm": "applied (after clipping)",
    "chart.clip_threshold": "Clipping threshold",
    "chart.clipnorm": "clipnorm",
    "chart.global_clipnorm": "global_clipnorm",
    "chart.dead_fraction": "Dead units (fraction)",
    "chart.saturated_fraction": "Saturated units (fraction)",
    "chart.x0": "x₀",
    "chart.x1": "x₁",
    "chart.prediction": "Model output",
    "chart.label": "Label",
    "chart.title_loss": "Loss",
    "chart.title_accuracy": "Accuracy",
    "chart.title_grad_norm": "Gradient norm per layer (log scale; click a legend entry)",
    "chart.title_heatmap": "Where the gradient vanishes: log10 gradient norm, layer × step",
    "chart.title_layer_bars": "Latest step, per layer",
    "chart.title_boundary": "Model output over the input plane",
    "chart.t": "Time step t",
    "chart.input_grad_norm": "‖∂loss/∂xₜ‖",
    "chart.log10_input_grad_norm": "log10 ‖∂loss/∂xₜ‖",
    "chart.forget_gate_mean": "Mean forget gate",
    "chart.baseline": "baseline",
    "chart.noise_floor": "noise floor",
    "chart.title_time_grad": "Gradient through time at the latest step: ‖∂loss/∂xₜ‖ (log scale)",
    "chart.title_time_heatmap": "Gradient through time in training: log10 ‖∂loss/∂xₜ‖, t × step",
    "chart.title_forget_gate": "LSTM forget gate over training (1 = keep the cell state)",
    # -- comparisons (models.presets.COMPARISONS) ---------------------------------------------
    "comparison.cnn_pooling": "Max vs mean pooling in a small CNN",
    "comparison.vanishing_fixes": "Vanishing gradients and three fixes (ReLU + He, BN, residual)",
    "comparison.exploding_clip": "Exploding gradients, without and with clipnorm",
    "comparison.dying_relu_fix": "Dying ReLUs, and LeakyReLU",
    "comparison.rnn_cells_adding": "SimpleRNN vs LSTM vs GRU on the 50-step adding problem",
    "comparison.rnn_exploding_clip": "A ReLU SimpleRNN explodes; clipnorm tames it",
    "chart.val_loss_mean": "final val loss (mean over seeds)",
    "chart.grad_first_mean": "first layer's gradient norm (mean over seeds)",
    "chart.spread": "spread (std over seeds)",
    "chart.title_sweep": "Sweep results: mean ± spread over seeds",
    "chart.title_compare_overview": "Drag across this strip to zoom every chart to a step range",
    "chart.title_compare_loss": "Loss (solid) and val loss (dashed)",
    "chart.title_compare_grad": "Gradient norm of the layer at depth",
    # the Questions cards' charts (charts/questions.py)
    "chart.title_runs_dead_fraction": "Dead units per config (mean over layers)",
    "chart.title_runs_val_loss": "Validation loss per config (log scale)",
    "chart.title_runs_val_accuracy": "Validation accuracy per config",
    "chart.title_first_step_grad": "Gradient norm per layer at the first step (log scale)",
    # -- the Compare page ----------------------------------------------------------------------
    "nav.compare": "Compare",
    "home.compare": (
        "Every run a lab ends is saved: compare yours side by side, or open a run someone "
        "shared with its link."
    ),
    "cmp.title": "Compare runs",
    "cmp.intro": (
        "Your saved runs, and runs opened from a share link. Drag across the top strip to zoom "
        "every chart to a step range; click a legend entry to highlight a run."
    ),
    "cmp.store_unavailable": "The run database is unavailable, so there are no saved runs.",
    "cmp.store_failed": (
        "The saved runs cannot be shown ({error}); training on the lab pages still works."
    ),
    "cmp.bad_ids": "These are not run ids and were ignored: {items}.",
    "cmp.missing": "{count} linked run(s) could not be found (deleted, or a wrong link).",
    "cmp.none": "No saved runs yet: train on a lab page, or open a share link.",
    "cmp.pick": "Runs to compare",
    "cmp.pick_some": "Pick one or more runs.",
    "cmp.depth": "Layer depth for the gradient overlay (0 = nearest the input)",
    "cmp.summary": "Summary (click a column to sort)",
    "cmp.status.completed": "completed",
    "cmp.status.diverged": "diverged",
    "cmp.status.stopped": "stopped",
    "cmp.status.failed": "failed",
    "cmp.status.interrupted": "interrupted",
    "cmp.col.run": "Run",
    "cmp.col.final_loss": "Final loss",
    "cmp.col.best_val": "Best val loss",
    "cmp.col.steps": "Steps",
    "cmp.col.status": "Status",
    "cmp.col.diverged_at": "Diverged at",
    "cmp.col.wall_time": "Wall time (s)",
    "cmp.diff": "What differs",
    "cmp.share": "Share links",
    "cmp.share_help": "Anyone with a link can open that run; nobody else can list your runs.",
    "cmp.share_line": "{label}:  /compare?runs={id}",
    "cmp.open_lab": "Open {label} in the lab (its config, ready to train again)",
    "cmp.open_lab_table": (
        "This run trained on an uploaded table, which a link cannot carry: import its run "
        "record (python -m models runs export ID --format json) on the Deep Networks page."
    ),
    "cmp.rename.title": "Rename a run",
    "cmp.rename.none": (
        "Only runs saved in this browser can be renamed; runs opened from a share link keep "
        "their names."
    ),
    "cmp.rename.run": "Run (one of yours)",
    "cmp.rename.name": "New name",
    "cmp.rename.help": (
        "Up to {limit} characters of plain text, no control characters; press Enter to rename. "
        "Runs opened from someone else's link cannot be renamed."
    ),
    "cmp.rename.button": "Rename",
    "cmp.rename.done": "Renamed: the lists, tables and charts show the new name.",
    "cmp.rename.not_yours": "Only a run saved in this browser can be renamed.",
    "cmp.forget.title": "Forget my runs",
    "cmp.forget.help": (
        "Deletes every run saved in this browser ({count}) from the server, so their share "
        "links stop working too, and starts a new, empty list. This cannot be undone."
    ),
    "cmp.forget.button": "Delete my {count} runs",
    "cmp.forget.done": "Forgotten: {count} run(s) deleted. This browser starts a new list.",
    "cmp.forget.failed": "Your runs were not deleted: {error}.",
    "lab.import": "Import a config (JSON)",
    "lab.import_help": (
        "A config file (python -m models schema describes it) or a downloaded run record; "
        "it is checked by the schema and loaded into the form."
    ),
    "lab.imported": "Config imported: the form shows it; press Train to run it.",
    "lab.import_too_big": "The file is {size:,} bytes; a config may be at most {limit:,}.",
    "lab.import_not_text": "The file is not UTF-8 text, so it cannot be a JSON config.",
    "lab.import_invalid": "The config was not imported: {error}",
    "upload.label": "Use your own table (CSV)",
    "upload.help": (
        "A CSV file of numeric feature columns and one target column (two classes, or numbers "
        "for regression), with a header row: up to {rows:,} rows, {columns} features and 1 MB. "
        "Features are centred and scaled per column. The table is kept with your runs but is "
        "not part of the page's link."
    ),
    "upload.target": "Target column",
    "upload.refused": "{file} was not loaded: {error}.",
    "upload.bad_target": "This target cannot be trained on: {error}.",
    "upload.summary": (
        "Training on {file}: {rows:,} rows, {n} features ({features}), target {target} ({kind})."
    ),
    "upload.binary": "two classes: {zero} is 0, {one} is 1",
    "upload.regression": "regression",
    "upload.remove": "Use the generated data again",
    "upload.imported": "the imported table",
    "upload.needed": "data.name 'csv' needs a table: upload a CSV file above.",
    "choice.data.name.csv": "Your CSV table (upload below)",
    "upload.not_in_link": (
        "The link to this page carries the config but not your table: it is saved with your "
        "runs (Compare)."
    ),
    "sweep.title": "Sweep: a grid over one or two fields",
    "sweep.help": (
        "Every combination of the values runs through the same workers (on the same data), "
        "each with the number of seeds you pick; the grid shows the mean and spread."
    ),
    "sweep.on_ray": "Sweeps run on the Ray cluster at {where} ({cpus} CPUs at once).",
    "sweep.ray_connecting": (
        "Connecting to the Ray cluster at {where}; until it answers, sweeps run in this "
        "server's worker pool."
    ),
    "sweep.ray_silent": (
        "The Ray cluster at {where} has not answered for {seconds} s; sweeps run in this "
        "server's worker pool."
    ),
    "sweep.ray_error": (
        "The Ray cluster at {where} could not be used ({error}); sweeps run in this server's "
        "worker pool."
    ),
    "sweep.field": "Field",
    "sweep.field2": "Second field (optional)",
    "sweep.none": "(none)",
    "sweep.values": "Values, comma-separated",
    "sweep.seeds": "Seeds per cell",
    "sweep.run": "Run sweep",
    "sweep.stop": "Stop sweep",
    "sweep.invalid": "The sweep was not started: {error}",
    "sweep.progress": "{ended} of {total} runs ended · {running} running · {waiting} waiting",
    "sweep.waiting": "Waiting for room: {reason}.",
    "sweep.run_steps": "{label}: step {steps:,} of {total:,}",
    "sweep.run_waiting": "{label}: waiting for a worker",
    "sweep.run_ended": "{label}: {status}",
    "sweep.save_failed": (
        "The sweep's runs could not all be saved ({error}); the results are shown here, but "
        "some cells cannot be opened in Compare."
    ),
    "sweep.compare_help": "Open a cell's runs side by side:",
    "sweep.open_cell": "Compare {values}",
    "sweep.col.val_loss": "final val loss (mean)",
    "sweep.col.val_loss_sd": "val loss spread",
    "sweep.col.grad_first": "first-layer grad norm (mean)",
    "sweep.col.grad_first_sd": "grad norm spread",
    "sweep.col.val_accuracy": "final val accuracy (mean)",
    "sweep.col.params": "parameters",
    "sweep.col.ended": "ended",
    "sweep.col.runs": "runs",
    "sweep.col.diverged": "diverged",
    # -- every lab page ------------------------------------------------------------------------
    "lab.saved": "Saved to your runs ({count}): open them on the Compare page.",
    "lab.claim": "**{title}.** The claim: {claim}",
    "lab.claims": "**{title}.** The claims:",
    # What one run measured (models/comparison.judge_one), once it has ended.
    "run.verdict.diverged": (
        "**What the run measured:** {label} diverged at step {step}: its loss or gradient became "
        "non-finite."
    ),
    "run.verdict.learned": (
        "**What the run measured:** validation accuracy {final} at the end, far above the "
        "{reference} of always answering the commonest class: the net learned the task."
    ),
    "run.verdict.chance": (
        "**What the run measured:** validation accuracy {final} at the end, no better than the "
        "{reference} of always answering the commonest class: the net did not learn the task."
    ),
    "run.verdict.at_floor": (
        "**What the run measured:** validation loss {final} at the end, at the noise floor "
        "{floor} (the lowest loss any model can reach at this noise; the trivial baseline is "
        "{reference}): the net solved the task."
    ),
    "run.verdict.below_baseline": (
        "**What the run measured:** validation loss {final} at the end, clearly below the "
        "trivial baseline {reference}: the net learned."
    ),
    "run.verdict.at_baseline": (
        "**What the run measured:** validation loss {final} at the end, no better than the "
        "trivial baseline {reference}: the net did not learn the task."
    ),
    "run.verdict.floor": "The lowest loss any model can reach at this noise is {floor}.",
    "run.verdict.grad_ratio": (
        "At step 0 the first layer's gradient norm was {ratio} times the output layer's."
    ),
    "run.verdict.dead": "Dead ReLU units at the end (output 0 for every sample): {dead}.",
    # What a side-by-side run measured (models/comparison.py), once every run has ended.
    "cmp.verdict.a_diverged": (
        "**What the runs measured:** {a} diverged (its loss or gradient became non-finite); "
        "{completed} trained to the end."
    ),
    "cmp.verdict.all_better": (
        "**What the runs measured:** every other run ends clearly better than {a} on {metric}: "
        "{better} against {a}'s {a_value}."
    ),
    "cmp.verdict.some_better": (
        "**What the runs measured:** {better} end clearly better than {a} on {metric} "
        "({a}: {a_value}); {rest} do not."
    ),
    "cmp.reference": "For scale: a model that ignores its input scores {baseline}.",
    "cmp.at_floor": (
        "At that floor (within 1.5 times it): **{runs}**. No model can do much better at this "
        "noise: the task is solved."
    ),
    "cmp.references": (
        "For scale: a model that ignores its input scores {baseline}; the lowest loss any model "
        "can reach at this noise is {floor}."
    ),
    "cmp.verdict.fewer_dead": (
        "Dead ReLU units at the end (output 0 for every sample): {fewer}, at most half of "
        "{a}'s {a_dead}."
    ),
    "cmp.verdict.none_better": (
        "**What the runs measured:** no run ends clearly better than {a} on {metric} "
        "({a}: {a_value}; {others})."
    ),
    "cmp.metric.val_accuracy": "validation accuracy",
    "cmp.metric.val_loss": "validation loss",
    "cmp.col.final": "At the end",
    "cmp.col.grad_ratio": "First layer's gradient ÷ output layer's, at step 0",
    "cmp.col.dead": "Dead ReLU units at the end",
    "lab.save_failed": "The runs were not saved ({error}); the charts and downloads still work.",
    "lab.store_unavailable": "the run database is unavailable",
    "lab.store_locked": "the run database is locked by another process",
    "lab.store_read_only": "the run database is read-only",
    # -- the Recurrent page --------------------------------------------------------------------
    "nav.recurrent": "Recurrent",
    "home.recurrent": (
        "SimpleRNN vs LSTM vs GRU on long-range tasks: the gradient through time, the forget "
        "gate, exploding ReLU recurrences and parameter counts."
    ),
    "rn.title": "Recurrent networks",
    "rn.intro": (
        "Why LSTM and GRU learn long dependencies that a SimpleRNN cannot. Pick the cells; "
        "they train side by side on the same data and seed. ‖∂loss/∂xₜ‖ shows how much "
        "gradient reaches each time step t: t = 0 is the start of the sequence."
    ),
    "rn.cells": "Cells (side by side)",
    "rn.field.depth": "Recurrent layers",
    "rn.cells_help": "Each cell trains as its own run on the same data and seed.",
    "rn.cell.simple_rnn": "SimpleRNN",
    "rn.cell.lstm": "LSTM",
    "rn.cell.gru": "GRU",
    "rn.section.task": "Task",
    "rn.no_cells": "Pick at least one cell to train.",
    "rn.no_lstm": "The forget-gate chart appears when an LSTM is among the cells.",
    "rn.summary": "{steps:,} steps per cell ({epochs} epochs).",
    "rn.params.title": "Parameters",
    "rn.params.caption": "u = units, d = inputs per time step, o = outputs.",
    "rn.params.cell": "**{cell}**",
    "rn.params.layer": "Recurrent layer {i}",
    "rn.params.head": "Output layer",
    "rn.params.total": "Total by the formulas: **{total:,}**",
    "rn.params.keras_equal": "Keras `count_params()` of the trained model: **{keras:,}**, equal.",
    "rn.params.keras_differs": (
        "Keras `count_params()` of the trained model: **{keras:,}**, which differs."
    ),
    "rn.eq.title": "The LSTM equations, and where Keras keeps each weight",
    "rn.eq.caption": (
        "σ is the sigmoid (Keras' recurrent_activation), ⊙ the element-wise product; the "
        "four gates' blocks sit side by side in Keras' weights, in the order i, f, c, o."
    ),
    "rn.eq.symbol": "Symbol",
    "rn.eq.weight": "Keras weight (u = units)",
    "rn.eq.shape": "Shape",
    "rn.eq.why_tanh": (
        "**Why tanh and not ReLU?** The state is fed back at every step: tanh keeps it in "
        "(−1, 1) whatever the number of steps, while a ReLU state can grow step after step "
        "and its gradient with it. Try the cell activation `relu` with a large learning rate."
    ),
    # The schema's field descriptions and the presets' titles and claims are written in English
    # once, where they are defined; another language's table translates each of these keys.
    **{f"help.{path}": spec.description for path, spec in FIELDS.items()},
    **{f"preset.{name}.title": p.title for name, p in PRESETS.items()},
    **{f"preset.{name}.claim": p.claim for name, p in PRESETS.items()},
    # -- concept pages ------------------------------------------------------------------------
    "nav.labs": "Labs",
    "nav.concepts": "Concepts",
    "nav.activations": "Activations",
    "nav.cnn": "Convolution & pooling",
    "nav.optimizers": "GD vs Newton",
    "nav.backprop": "Backprop by hand",
    "home.concepts": "Concepts, computed",
    "home.activations": (
        "Each activation and its derivative by autodiff through the real Keras activation; "
        "why a product of derivatives vanishes with depth."
    ),
    "home.cnn": (
        "How max and mean pooling pass a gradient back, by GradientTape, checked against the rule."
    ),
    "home.optimizers": (
        "Gradient descent, momentum, Adam and Newton's method on 2-D functions: where Newton "
        "shines and where it fails."
    ),
    "home.backprop": (
        "Backpropagation through a tiny network, every chain-rule product with its numbers, "
        "matched to GradientTape."
    ),
    "concept.computing": "Computing with TensorFlow in a worker process…",
    "concept.invalid": "These settings cannot be computed: {error}",
    "concept.failed": "The computation did not finish: {error}",
    "concept.act.sigmoid": "sigmoid",
    "concept.act.tanh": "tanh",
    "concept.act.relu": "ReLU",
    "concept.act.leaky_relu": "LeakyReLU",
    "concept.act.prelu": "PReLU",
    "concept.act.elu": "ELU",
    "concept.act.gelu": "GELU",
    "concept.act.swish": "swish",
    "act.title": "Activations and their derivatives",
    "act.intro": (
        "Every curve is computed by TensorFlow: the activation is the real Keras layer, and its "
        "derivative comes from GradientTape, not from a formula. The dot marks the derivative's "
        "maximum."
    ),
    "act.names": "Activations",
    "act.slope": "LeakyReLU slope k (PReLU's α)",
    "act.slope_help": "PReLU learns α; it is drawn here at α = k.",
    "act.x_max": "x range (±)",
    "act.depth": "Path length n (layers)",
    "act.depth_help": "For the second chart: how many derivative factors multiply along a path.",
    "act.pick_one": "Pick at least one activation.",
    "act.col.activation": "activation",
    "act.col.max_df": "max f′(x)",
    "act.col.argmax": "at x",
    "act.col.df_positive": "f′(x) for x > 0",
    "act.col.f0": "f(0)",
    "act.col.mean_f": "mean f(x), x ~ N(0, 1)",
    "act.col.centred": "zero-centred",
    "act.yes": "yes",
    "act.no": "no",
    "act.centred": "zero-centred",
    "act.not_centred": "not zero-centred",
    "act.measured_note": (
        "All numbers are measured on the computed curves; an activation counts as zero-centred "
        "when its mean output over x ~ N(0, 1) is within ±0.05 of 0."
    ),
    "act.fact": (
        "**{name}**: f′ peaks at **{max_df}** at x = {at}; for x > 0, f′ lies in [{lo}, {hi}]; "
        "mean output over N(0, 1) is {mean}, so it is {centred}."
    ),
    "act.product_title": "Why depth vanishes gradients",
    "act.product_help": (
        "Backpropagation multiplies one derivative factor per layer along every path. Solid: "
        "the best case, max f′ to the n-th power; dashed: the typical factor, mean f′(x) over "
        "x ~ N(0, 1), to the n-th power (weights left out)."
    ),
    "act.product_fact": (
        "After {n} layers, **{name}**'s best case is already **{value}** ({factor} to the "
        "power {n})."
    ),
    "cnn.title": "Convolution and pooling",
    "cnn.intro": (
        "Pooling has no weights, but it decides where the gradient goes. Both passes below are "
        "computed by GradientTape through Keras' MaxPooling2D and AveragePooling2D."
    ),
    "cnn.pooling_title": "Pooling: forward and backward",
    "cnn.pooling_help": (
        "Edit the input, pick an upstream gradient (∂L/∂output), and compare what each pooling "
        "sends back to its inputs. Outlined: each window's arg-max."
    ),
    "cnn.size": "Input size",
    "cnn.pool": "Pool (and stride)",
    "cnn.seed": "Random input (seed)",
    "cnn.upstream": "Upstream gradient",
    "cnn.upstream.ones": "ones",
    "cnn.upstream.random": "random",
    "cnn.not_divisible": (
        "An input of {size} × {size} does not split into {pool} × {pool} windows; pick a size "
        "that is a multiple of {pool}."
    ),
    "cnn.edit_help": "Click a cell to edit it; empty cells count as 0.",
    "cnn.input": "Input",
    "cnn.max_out": "Max pooling: output",
    "cnn.mean_out": "Mean pooling: output",
    "cnn.backward_title": "Backward: the gradient each input receives",
    "cnn.upstream_grid": "Upstream gradient ∂L/∂output",
    "cnn.max_grad": "Max pooling: ∂L/∂input",
    "cnn.mean_grad": "Mean pooling: ∂L/∂input",
    "cnn.rule_ok.max": (
        "**Max pooling** routed each window's whole gradient to its arg-max and zero to the "
        "other {others} inputs: the tape's gradient equals that rule (largest difference {gap})."
    ),
    "cnn.rule_broken.max": (
        "**Max pooling**: the tape's gradient differs from the arg-max rule by up to {gap}."
    ),
    "cnn.rule_ok.mean": (
        "**Mean pooling** split each window's gradient equally, 1/{n} to each input: the tape's "
        "gradient equals that rule (largest difference {gap})."
    ),
    "cnn.rule_broken.mean": (
        "**Mean pooling**: the tape's gradient differs from the equal-split rule by up to {gap}."
    ),
    "cnn.lab_title": "Train a small CNN",
    "cnn.lab_intro": (
        "Convolution layers (filters per layer, kernel size), each followed by 2×2 max or mean "
        "pooling, on generated 16×16 images of horizontal bars, vertical bars and crosses with "
        "noise. The sidebar sets the config; the URL carries it."
    ),
    "cnn.summary": "{params} parameters · {steps} steps ({epochs} epochs)",
    "cnn.field.depth": "Conv layers",
    "cnn.field.width": "Filters per conv layer",
    "cnn.filters_of": "Config {label}",
    "cnn.filters_initial": "initial",
    "cnn.filters_step": "step {step}",
    "cnn.sweep_help": (
        "How many filters? The sweep below opens on the number of filters per layer: it trains "
        "each and shows validation accuracy and parameters side by side."
    ),
    "cnn.max_count": (
        "Max pooling: {nonzero} of {total} inputs receive a gradient ({windows} windows)."
    ),
    "opt.title": "Gradient descent vs Newton's method",
    "opt.intro": (
        "Each method runs from the same start on a 2-D function. Gradients and the Hessian come "
        "from TensorFlow autodiff; gradient descent, momentum and Adam are Keras optimizers; "
        "Newton's step is x − (H + λI)⁻¹∇f."
    ),
    "opt.function": "Function",
    "opt.function.quadratic": "Quadratic ½(x² + c·y²)",
    "opt.function.rosenbrock": "Rosenbrock",
    "opt.function.saddle": "Saddle x² − y²",
    "opt.function.nonconvex": "Non-convex (two minima)",
    "opt.condition": "Conditioning c",
    "opt.condition_help": "The ratio of the quadratic's two curvatures.",
    "opt.methods": "Methods",
    "opt.method.gd": "gradient descent",
    "opt.method.momentum": "momentum",
    "opt.method.adam": "Adam",
    "opt.method.newton": "Newton",
    "opt.lr": "Learning rate (GD, momentum, Adam)",
    "opt.momentum": "Momentum",
    "opt.damping": "Newton damping λ",
    "opt.damping_help": "Adds λI to the Hessian: λ = 0 is the pure Newton step.",
    "opt.steps": "Iterations",
    "opt.start_x": "Start x₁",
    "opt.start_y": "Start x₂",
    "opt.pick_one": "Pick at least one method.",
    "opt.hessian": "Hessian eigenvalues at the start: **{a}** and **{b}**.",
    "opt.col.method": "method",
    "opt.col.steps": "iterations",
    "opt.col.f": "final f",
    "opt.col.grad": "final ‖∇f‖",
    "opt.col.x": "final point",
    "opt.verdict.converged": (
        "**{method}** reached a minimum (‖∇f‖ < 10⁻⁶) after {steps} steps, f = {f}."
    ),
    "opt.verdict.saddle": (
        "**{method}** stopped at a **saddle** after {steps} steps (f = {f}): the gradient is 0 "
        "but the Hessian's eigenvalues are {a} and {b}, so it is not a minimum."
    ),
    "opt.verdict.diverged": "**{method}** diverged: f reached {f} by step {steps}.",
    "opt.verdict.going": (
        "**{method}** has not converged after {steps} steps: f = {f}, ‖∇f‖ = {g}."
    ),
    "opt.verdict.one_step": (
        "**{method}** landed on its stationary point in **one step**: on a quadratic, "
        "x − H⁻¹∇f is exact."
    ),
    "opt.verdict.uphill": (
        "**{method}** went **uphill** {rises} time(s): where the Hessian is not positive "
        "definite, the Newton step need not descend."
    ),
    "bp.title": "Backpropagation by hand",
    "bp.intro": (
        "A tiny dense network (hidden activation, linear output, loss ½Σ(ŷ − y)²). Every value "
        "below is computed step by step with the chain rule; the table at the end sets each "
        "gradient next to GradientTape's for the same Keras model and weights."
    ),
    "bp.inputs": "Input units",
    "bp.hidden": "Hidden units",
    "bp.outputs": "Output units",
    "bp.activation": "Hidden activation",
    "bp.seed": "Weights (seed)",
    "bp.seed_help": "Weights and biases are drawn from this seed and rounded to 2 decimals.",
    "bp.forward": "Forward pass",
    "bp.linear": "(linear output)",
    "bp.backward": "Backward pass: the chain rule, layer by layer",
    "bp.check": "By hand vs GradientTape",
    "bp.col.param": "parameter",
    "bp.param.weight": "W({layer}) row {row}, column {column}",
    "bp.param.bias": "b({layer}) entry {entry}",
    "bp.input": "input x{i}",
    "bp.target": "target y{i}",
    "bp.col.hand": "by hand",
    "bp.col.tape": "GradientTape",
    "bp.col.diff": "|difference|",
    "bp.match": (
        "All {n} gradients by hand equal GradientTape's (largest difference {gap}, float32 "
        "round-off)."
    ),
    "bp.mismatch": "The gradients by hand differ from GradientTape's by up to {gap}.",
    "nav.questions": "Questions",
    "home.questions": (
        "The questions learners ask, each answered by a one-click experiment and a verdict "
        "computed from its numbers."
    ),
    "q.title": "Questions notebook",
    "q.intro": (
        "Each card runs a small experiment through the engine (training runs in the worker "
        "pool, computations in TensorFlow) and states what its numbers show. The verdicts are "
        "computed from that run, not written in advance: change nothing and run again, and you "
        "get the same numbers (fixed seeds)."
    ),
    "q.run": "Run the experiment",
    "q.failed": "A run of this experiment did not finish: {reason}",
    "q.evidence": "What the verdict reads, run by run:",
    "q.compare": "Compare these runs",
    "q.tanh_vs_sigmoid.short": "Tanh vs sigmoid",
    "q.relu_exploding.short": "ReLU and exploding gradients",
    "q.dying_relu.short": "Dying ReLU",
    "q.bn_relu.short": "BN before ReLU",
    "q.lstm_tanh.short": "LSTM tanh vs ReLU",
    "q.residual.short": "Residual connections",
    "q.clipnorm.short": "Clipnorm",
    "q.lstm_params.short": "LSTM parameters",
    "q.cnn_filters.short": "CNN filters",
    "q.newton_deep.short": "Newton's method",
    "q.tanh_vs_sigmoid.question": (
        "Does tanh converge faster than sigmoid because it is zero-centred?"
    ),
    "q.tanh_vs_sigmoid.how": (
        "Two 3-layer MLPs on circle, identical but for the activation (SGD, lr 0.5); steps to "
        "reach loss 0.45; each activation's mean output and derivative peak, by autodiff."
    ),
    "q.tanh_vs_sigmoid.tanh_faster": (
        "**tanh was faster here**: loss < {threshold} after {tanh_steps} steps, sigmoid after "
        "{sigmoid_steps} (— means not within the run). tanh's mean output over N(0, 1) is "
        "{tanh_mean} (sigmoid's {sigmoid_mean}), but its derivative also peaks **{ratio}×** "
        "higher, so zero-centring is not the only difference: larger gradients alone speed it "
        "up."
    ),
    "q.tanh_vs_sigmoid.not_faster": (
        "**tanh was not faster here**: loss < {threshold} after {tanh_steps} steps, sigmoid "
        "after {sigmoid_steps}, even though tanh is zero-centred (mean output {tanh_mean} vs "
        "{sigmoid_mean}) and its derivative peaks {ratio}× higher."
    ),
    "q.relu_exploding.question": "Does ReLU fix exploding gradients too?",
    "q.relu_exploding.how": (
        "A 12-layer ReLU MLP with a too-large initialization (random normal, σ = 0.5), SGD."
    ),
    "q.relu_exploding.no_explodes": (
        "**No.** The ReLU net's run ended **{status}** (at step {step}); at the first step the "
        "input layer's gradient norm was {growth}× the output layer's over {layers} layers. ReLU "
        "keeps the derivative at 1, so nothing damps weights that are too large."
    ),
    "q.relu_exploding.yes_tame": (
        "**Here it stayed tame**: the run {status}, and the input layer's gradient norm was only "
        "{growth}× the output layer's over {layers} layers."
    ),
    "q.dying_relu.question": "Does a lower learning rate prevent dying ReLUs, and does LeakyReLU?",
    "q.dying_relu.how": (
        "A 6-layer ReLU MLP trained with Adam at learning rate 0.03 and at 0.003, and the same "
        "net with LeakyReLU at 0.03; the final fraction of dead units (output 0 for every "
        "sample of the batch), mean over layers."
    ),
    "q.dying_relu.both_help": (
        "**Both help.** Dead units at the end: {dead_high} at lr 0.03, **{dead_low}** at lr "
        "0.003 and **{dead_leaky}** with LeakyReLU at 0.03 (whose units below zero still pass "
        "k times the gradient, so they can come back). Val loss: {loss_high}, {loss_low}, "
        "{loss_leaky}."
    ),
    "q.dying_relu.only_lower_lr": (
        "**The lower rate helps, LeakyReLU did not here.** Dead units {dead_high} at lr 0.03, "
        "{dead_low} at lr 0.003, {dead_leaky} with LeakyReLU; val loss {loss_high}, {loss_low}, "
        "{loss_leaky}."
    ),
    "q.dying_relu.only_leaky": (
        "**LeakyReLU helps, the lower rate did not here.** Dead units {dead_high} at lr 0.03, "
        "{dead_low} at lr 0.003, {dead_leaky} with LeakyReLU; val loss {loss_high}, "
        "{loss_low}, {loss_leaky}."
    ),
    "q.dying_relu.neither": (
        "**Neither helped here.** Dead units {dead_high} at lr 0.03, {dead_low} at lr 0.003, "
        "{dead_leaky} with LeakyReLU; val loss {loss_high}, {loss_low}, {loss_leaky}."
    ),
    "q.bn_relu.question": "BN before ReLU centres inputs at 0 — are half the units dead?",
    "q.bn_relu.how": (
        "Dense(16) → BatchNormalization → ReLU on circle: the fraction of the batch on which "
        "each unit is active, at initialization and after training, and BN's learned shift β."
    ),
    "q.bn_relu.not_dead": (
        "**No.** At initialization every unit is active on **{lo_init}–{hi_init}** of the batch "
        "(mean {mean_init}); **{dead} of {units}** units are dead. Each unit is off for about "
        "half the *inputs*, not half the *units* off for all inputs. After training BN's β ranges "
        "over {beta_lo}…{beta_hi}, and units are active on {lo_trained}–{hi_trained} of the data: "
        "the learned shift moves each unit's threshold."
    ),
    "q.bn_relu.half_dead": (
        "**Yes, here:** {dead} of {units} units were never active at initialization "
        "(active fractions {lo_init}–{hi_init})."
    ),
    "q.lstm_tanh.question": "Why does the LSTM use tanh and not ReLU?",
    "q.lstm_tanh.how": (
        "The same LSTM on the 50-step adding problem with its cell activation tanh, then ReLU "
        "(Adam, lr 0.02)."
    ),
    "q.lstm_tanh.tanh_better": (
        "**tanh did better**: val MSE {tanh_loss} vs {relu_loss} with ReLU (ReLU run "
        "{relu_status}). tanh keeps the candidate and the output in [−1, 1], so the cell state "
        "grows at most by 1 per step; with ReLU nothing bounds it, and the largest gradient norm "
        "was {relu_grad} (tanh: {tanh_grad})."
    ),
    "q.lstm_tanh.relu_fine": (
        "**ReLU did not fail here**: val MSE {relu_loss} vs {tanh_loss} with tanh (largest "
        "gradient norms {relu_grad} vs {tanh_grad}). tanh's bound matters on longer sequences "
        "and larger rates; this run was not one."
    ),
    "q.residual.question": "How do residual connections let a 30-layer net train?",
    "q.residual.how": "A 30-layer tanh MLP on circle without and with residual connections (SGD).",
    "q.residual.residual_trains": (
        "**The residual net trains**: val loss **{residual_loss}** vs {plain_loss} without. At "
        "the first step the input layer's gradient norm was **{residual_grad}** with residual "
        "connections and {plain_grad} without: x + f(x) passes the gradient through the "
        "identity, so it reaches layer 0 undiminished by {depth} products of derivatives."
    ),
    "q.residual.no_difference": (
        "**No improvement here**: val loss {residual_loss} with residual connections vs "
        "{plain_loss} without (input-layer gradient {residual_grad} vs {plain_grad})."
    ),
    "q.clipnorm.question": "What does clipnorm do to an exploding net?",
    "q.clipnorm.how": (
        "A ReLU SimpleRNN at lr 2.0 on the adding problem, without and with clipnorm = 0.02."
    ),
    "q.clipnorm.tamed": (
        "**It tames it.** Without clipping the run **diverged at step {raw_step}** (gradient "
        "norms up to {raw_grad}); with clipnorm the same net **completed**, val MSE "
        "{clip_loss}. Clipping rescales each update, not the gradient the tape computes."
    ),
    "q.clipnorm.no_change": (
        "**No difference here**: without clipping the run {raw_status}, with clipnorm "
        "{clip_status}."
    ),
    "q.lstm_params.question": "How many parameters does an LSTM have?",
    "q.lstm_params.how": "An LSTM with 32 units on the adding problem (2 inputs per step).",
    "q.lstm_params.equal": (
        "**4·(u·d + u·u + u)** for u units and d inputs: four gates, each with a kernel, a "
        "recurrent kernel and a bias = {per_gate} per gate, **{lstm}** for the layer (u = "
        "{units}, d = {inputs}); with the output layer **{formula}**, exactly what Keras' "
        "count_params() says: {keras}."
    ),
    "q.lstm_params.differs": (
        "The formula gives {formula} but Keras counts {keras}: the model is not the plain LSTM "
        "the formula describes."
    ),
    "q.cnn_filters.question": "How should I choose the number of CNN filters?",
    "q.cnn_filters.how": (
        "The same small CNN on the shapes images with 1, 2, 4, 8 and 16 filters per layer: "
        "validation accuracy and parameters."
    ),
    "q.cnn_filters.plateau": (
        "**Stop where accuracy plateaus.** Val accuracy by filters: {table}. {enough} filters "
        "already reach within 0.02 of the best ({best}) with {params} parameters; {most} "
        "filters need {most_params}. Start small and double until accuracy stops improving."
    ),
    "q.cnn_filters.more_helps": (
        "**More filters still helped here**: {table}. The best is the largest ({most} filters, "
        "{most_params} parameters); try more until accuracy stops improving."
    ),
    "q.cnn_filters.no_result": "No run of this experiment recorded a validation accuracy.",
    "q.newton_deep.question": "Why is Newton's method not used for deep nets?",
    "q.newton_deep.how": (
        "Full Hessians of small MLPs by autodiff: entries vs parameters P, and the time vs one "
        "gradient."
    ),
    "q.newton_deep.quadratic_cost": (
        "**The Hessian has P² entries**: {table}. At P = {largest} autodiff took {seconds} s for "
        "it vs {grad_seconds} s for one gradient, and a Newton step must also solve a P × P "
        "system (∝ P³); a 1-million-parameter net's Hessian alone is **{tb} TB** in float32. "
        "**And it points the wrong way**: at every width the Hessian had negative eigenvalues "
        "({negatives}), so x − H⁻¹∇f is not a descent direction there: it heads for a saddle "
        "(see GD vs Newton)."
    ),
    "q.newton_deep.definite_here": (
        "**The Hessian has P² entries**: {table}, and solving with it costs ∝ P³ (at P = "
        "{largest}: {seconds} s vs {grad_seconds} s for one gradient; {tb} TB for a "
        "1-million-parameter net). At these weights it was not indefinite at every width "
        "(negative eigenvalues: {negatives}), so the cost, not the direction, is the reason here."
    ),
    "concept_chart.x": "x",
    "concept_chart.value": "value",
    "concept_chart.curve_value": "f(x) and f′(x)",
    "concept_chart.activation": "Activation",
    "concept_chart.curve": "Curve",
    "concept_chart.function": "f(x)",
    "concept_chart.derivative": "f′(x) (autodiff)",
    "concept_chart.max_derivative": "max f′ =",
    "concept_chart.title_activations": "Activation and derivative (each panel on its own y scale)",
    "concept_chart.depth": "Path length n",
    "concept_chart.product": "Product of n derivative factors",
    "concept_chart.bound": "Factor",
    "concept_chart.bound_max": "max f′ (best case)",
    "concept_chart.bound_typical": "mean f′ over N(0, 1)",
    "concept_chart.title_product": "Product of derivatives along a path vs depth",
    "concept_chart.row": "row",
    "concept_chart.column": "column",
    "concept_chart.method": "Method",
    "concept_chart.step": "Iteration",
    "concept_chart.f": "f(x₁, x₂)",
    "concept_chart.grad_norm": "‖∇f‖",
    "concept_chart.title_paths": "Paths over the function",
    "concept_chart.title_loss": "f per iteration",
    "concept_chart.x1": "x₁",
    "concept_chart.x2": "x₂",
    "concept_chart.gd": "gradient descent",
    "concept_chart.momentum": "momentum",
    "concept_chart.adam": "Adam",
    "concept_chart.newton": "Newton",
    "concept_chart.filter": "Filter",
    "concept_chart.weight": "Weight",
    "concept_chart.kernel_row": "Kernel row",
    "concept_chart.kernel_column": "Kernel column",
    "concept_chart.title_filters": "The first conv layer's filters",
}

LANGUAGES: dict[str, dict[str, str]] = {"en": EN}
DEFAULT_LANGUAGE = "en"


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The string for key in lang, formatted with values. A missing key is a bug: KeyError."""
    return LANGUAGES[lang][key].format(**values) if values else LANGUAGES[lang][key]


def field_label(path: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return t(f"field.{path}", lang)


def choice_label(path: str, value: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A choice's display text: its word if the table has one, else the value itself (a code
    name such as ``relu`` or ``he_normal`` reads the same in every language)."""
    return LANGUAGES[lang].get(f"choice.{path}.{value}", value)


def chart_labels(lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The chart strings, keyed as charts.py reads them."""
    prefix = "chart."
    return {k[len(prefix) :]: v for k, v in LANGUAGES[lang].items() if k.startswith(prefix)}


def concept_chart_labels(lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The concept charts' strings, keyed as charts.concepts reads them."""
    prefix = "concept_chart."
    return {k[len(prefix) :]: v for k, v in LANGUAGES[lang].items() if k.startswith(prefix)}


def missing_keys(lang: str) -> list[str]:
    """Keys English has and lang lacks, plus config fields without a label in lang."""
    table = LANGUAGES[lang]
    keys = set(EN) | {f"field.{p}" for p in FIELDS} | {f"help.{p}" for p in FIELDS}
    keys |= {f"preset.{n}.{part}" for n in PRESETS for part in ("title", "claim")}
    keys |= {f"comparison.{n}" for n in COMPARISONS}
    parts = ("question", "how", "short")
    keys |= {f"q.{q.id}.{part}" for q in QUESTIONS.values() for part in parts}
    keys |= {f"q.{q.id}.{key}" for q in QUESTIONS.values() for key in q.outcomes}
    return sorted(k for k in keys if k not in table)
