"""The ranking model: a conditional logit over candidate receiving classes.

Each candidate class of a query has a feature row (FEATURES): how strongly the knowledge base
supports it (best pathway, extra support, related materials, generic outlets) and how often
documented exchanges of the same EURAL chapter, donor sector and material went there (log
lifts over the overall frequency, and that frequency). The score of a class is
softmax(w . x) over the query's candidates: a probability, so the scores of one answer sum to
at most 1 and mean the same across queries.

The weights are fitted on the development set (data/knowledge/eval/) by maximum likelihood
with an L2 penalty, and kept in data/knowledge/ranking_model.json with what they were fitted
on; `regionomie knowledge fit-ranking` refits them. Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES: tuple[str, ...] = (
    "kb_direct",  # best pathway of a recognised material: confidence x strength x producer fit
    "kb_support",  # independent pathways of other recognised materials
    "kb_related",  # pathways of other materials of the same category
    "kb_generic",  # generic outlets (composting, incineration, collection ...)
    "lift_code",  # log P(class | EURAL subchapter/chapter) - log P(class)
    "lift_donor",  # log P(class | donor class/group/division) - log P(class)
    "lift_material",  # log P(class | recognised material/category) - log P(class)
    "log_prior",  # log P(class) over all documented exchanges
    "route_prior",  # log lift of the structured prior (recovery routes, priors/*.csv)
    "kb_group",  # best pathway into another class of the same NACE group (class hierarchy)
)
MODEL_FILE = "ranking_model.json"

# Used until a fitted model exists: the knowledge base leads, documented practice breaks ties.
DEFAULT_WEIGHTS: tuple[float, ...] = (8.0, 4.0, 4.0, 2.0, 0.6, 0.3, 0.6, 0.8, 0.5, 1.0)


class ModelFileError(ValueError):
    """ranking_model.json does not fit the engine's features (refit it)."""


@dataclass(frozen=True)
class RankingModel:
    weights: np.ndarray
    fitted_on: dict[str, object]

    def logits(self, features: np.ndarray) -> np.ndarray:
        return features @ self.weights

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros(0)
        z = self.logits(features)
        z = z - z.max()
        e = np.exp(z)
        return e / e.sum()


def load_model(directory: Path) -> RankingModel:
    """The fitted model of this knowledge folder, or the default weights when none is fitted."""
    path = directory / MODEL_FILE
    if not path.is_file():
        return default_model()
    raw = json.loads(path.read_text(encoding="utf-8"))
    weights = raw["weights"]
    if list(weights) != list(FEATURES):
        raise ModelFileError(
            f"{path}: weights must name exactly the features {', '.join(FEATURES)} "
            "(regionomie knowledge fit-ranking --write refits them)"
        )
    return RankingModel(
        np.array([float(weights[f]) for f in FEATURES]), dict(raw.get("fitted_on", {}))
    )


def default_model() -> RankingModel:
    """The unfitted weights: the knowledge base leads, documented practice breaks ties."""
    return RankingModel(np.array(DEFAULT_WEIGHTS), {"source": "default weights"})


def save_model(directory: Path, model: RankingModel) -> Path:
    path = directory / MODEL_FILE
    payload = {
        "features": "see regionomie/domain/suggest/model.py",
        "weights": {f: round(float(w), 6) for f, w in zip(FEATURES, model.weights, strict=True)},
        "fitted_on": model.fitted_on,
    }
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class TrainingQuery:
    """One documented exchange as the model sees it: candidate rows and the true class's row."""

    features: np.ndarray
    target: int  # row index of the documented receiver among the candidates


def fit_weights(
    queries: Sequence[TrainingQuery], l2: float = 0.002, start: Sequence[float] | None = None
) -> np.ndarray:
    """Maximum-likelihood conditional logit with an L2 penalty; deterministic (L-BFGS)."""
    usable = [q for q in queries if len(q.features)]
    if not usable:
        return np.array(start if start is not None else DEFAULT_WEIGHTS, dtype=float)
    n_features = usable[0].features.shape[1]
    w0 = np.array(start if start is not None else DEFAULT_WEIGHTS, dtype=float)

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        loss = 0.5 * l2 * float(w @ w) * len(usable)
        grad = l2 * w * len(usable)
        for q in usable:
            z = q.features @ w
            z_max = z.max()
            e = np.exp(z - z_max)
            total = e.sum()
            loss -= z[q.target] - (z_max + np.log(total))
            grad -= q.features[q.target] - (e / total) @ q.features
        return loss, grad

    from scipy.optimize import minimize  # only when fitting: importing scipy costs a second

    result = minimize(objective, w0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    weights: np.ndarray = result.x
    assert weights.shape == (n_features,)
    return weights
