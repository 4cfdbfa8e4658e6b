"""The sentence-role model (train, save, load, predict) and its combination with the rules.

The model is a multinomial logistic regression over word and character n-gram TF-IDF plus a few
cheap token features of each sentence. It is stored as plain JSON (vocabularies, idf, weights),
never pickled, beside a JSON model card that pins the artefact's sha256. `combine` adds the
model's sentence roles to the rules' annotations as documented in docs/models.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy.sparse import csr_matrix, hstack

from auditor.annotations import Annotations, Hit, Objective
from auditor.atomic import write_json_atomic, write_text_atomic
from auditor.config import CheckSpec, validation_problems
from auditor.jsonlines import read_json_lines
from auditor.schema import Finding

ROLES = ("situation", "action", "result", "next_objective", "reinforcement", "judgement",
         "rep_voice", "other")
MODEL_FILE = "model.json"
CARD_FILE = "card.json"
HYBRID_FILE = "hybrid.yaml"
FORMAT = "fcr-auditor/sentence-roles"
FORMAT_VERSION = 1
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULTS_FILE = MODELS_DIR / "defaults.json"

#: Vectorizer settings; kept in the artefact so a loaded model rebuilds exactly these.
WORD_PARAMS: dict[str, Any] = {"analyzer": "word", "ngram_range": [1, 2], "min_df": 2,
                               "sublinear_tf": True, "lowercase": True}
CHAR_PARAMS: dict[str, Any] = {"analyzer": "char_wb", "ngram_range": [3, 5], "min_df": 3,
                               "sublinear_tf": True, "lowercase": True}
# Rounding the weights makes the JSON small and training reproducible to the byte.
DECIMALS = 6

_QUOTE = re.compile(r"[\"“”]|(?:^|\s)'\w")
_DIGIT = re.compile(r"\d")
_FIRST_PERSON = re.compile(r"^\W*(?:i|we|my|our)\b", re.IGNORECASE)
_YOU = re.compile(r"\byou(?:r|rs)?\b", re.IGNORECASE)
TOKEN_FEATURES = ("position", "first", "last", "quote", "digit", "question", "length",
                  "first_person", "second_person")


class ModelLoadError(RuntimeError):
    """A model directory is missing, corrupt, tampered with or made by another library version."""


def sha256_file(path: Path) -> str:
    """The sha256 hex digest of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of the libraries a trained artefact depends on."""
    import scipy
    import sklearn

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__}


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def write_card(directory: Path, kind: str, artefact: str, extra: dict[str, Any]) -> dict[str, Any]:
    """Write the model card of `directory/artefact` (call after the artefact is written)."""
    card = {
        "kind": kind,
        "name": directory.name,
        "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "artefact": {"file": artefact, "sha256": sha256_file(directory / artefact)},
        "libraries": library_versions(),
        **extra,
    }
    write_json_atomic(directory / CARD_FILE, card)
    return card


def read_verified(directory: str | Path, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The card and artefact of a model directory, after checking hash, kind and library version.

    Raises ModelLoadError with a message naming the file and what is wrong.
    """
    root = Path(directory)
    card_path = root / CARD_FILE
    if not card_path.is_file():
        raise ModelLoadError(f"{card_path}: model card not found (is {root} a model directory?)")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        art_name, digest = card["artefact"]["file"], card["artefact"]["sha256"]
        trained_with = card["libraries"]["scikit-learn"]
        card_kind = card["kind"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"{card_path}: corrupt model card ({exc!r})") from None
    if card_kind != kind:
        raise ModelLoadError(f"{card_path}: this is a {card_kind!r} model, expected {kind!r}")
    art_path = root / Path(str(art_name)).name  # never follow a path out of the directory
    if not art_path.is_file():
        raise ModelLoadError(f"{art_path}: model file not found")
    actual = sha256_file(art_path)
    if actual != digest:
        raise ModelLoadError(f"{art_path}: sha256 {actual} does not match the model card "
                             f"({digest}); the file was changed or the card belongs elsewhere")
    import sklearn

    if _minor(str(trained_with)) != _minor(sklearn.__version__):
        raise ModelLoadError(f"{card_path}: trained with scikit-learn {trained_with}, but "
                             f"{sklearn.__version__} is installed; retrain (see docs/models.md)")
    try:
        artefact = json.loads(art_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{art_path}: corrupt model file ({exc})") from None
    if not isinstance(artefact, dict):
        raise ModelLoadError(f"{art_path}: corrupt model file (not a JSON object)")
    return card, artefact


def default_model_dir(kind: Literal["sentence_model", "calibration"],
                      only_enabled: bool = True) -> Path | None:
    """The shipped model directory of a kind (per models/defaults.json), if it is turned on."""
    if not DEFAULTS_FILE.is_file():
        return None
    entry = json.loads(DEFAULTS_FILE.read_text(encoding="utf-8")).get(kind) or {}
    if not entry.get("dir") or (only_enabled and not entry.get("enabled")):
        return None
    return MODELS_DIR / entry["dir"]


# -- data ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LabelledSentence:
    """One annotated sentence of a report."""

    report_id: str
    text: str
    role: str


def read_sentences(path: str | Path) -> list[LabelledSentence]:
    """Sentence annotations from JSON Lines ({"report_id", "text", "role"}, in report order)."""
    out = []
    p = Path(path)
    for where, obj in read_json_lines(p):
        try:
            item = LabelledSentence(str(obj["report_id"]), str(obj["text"]), str(obj["role"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{where}: expected {{report_id, text, role}} ({exc!r})") from None
        if item.role not in ROLES:
            raise ValueError(f"{where}: unknown role {item.role!r}; allowed: {', '.join(ROLES)}")
        out.append(item)
    if not out:
        raise ValueError(f"{p}: no sentences")
    return out


def by_report(sentences: Iterable[LabelledSentence]) -> list[list[LabelledSentence]]:
    """Sentences grouped per report, reports and sentences in file order."""
    groups: dict[str, list[LabelledSentence]] = {}
    for s in sentences:
        groups.setdefault(s.report_id, []).append(s)
    return list(groups.values())


def token_features(sentences: Sequence[str]) -> np.ndarray:
    """Cheap per-sentence features; position features need the report's sentences in order."""
    n = len(sentences)
    rows = []
    for i, text in enumerate(sentences):
        rows.append([
            i / (n - 1) if n > 1 else 0.0,  # objectives close reports, situations open them
            float(i == 0),
            float(i == n - 1),
            float(bool(_QUOTE.search(text))),  # quoted words are often the rep's voice
            float(bool(_DIGIT.search(text))),
            float(text.rstrip().endswith("?")),
            min(len(text.split()) / 30.0, 2.0),
            float(bool(_FIRST_PERSON.search(text))),
            float(bool(_YOU.search(text))),
        ])
    return np.asarray(rows, dtype=float).reshape(n, len(TOKEN_FEATURES))


# -- the model ----------------------------------------------------------------------------------
def _vectorizer(params: dict[str, Any], vocabulary: Sequence[str] | None = None,
                idf: Sequence[float] | None = None) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    kwargs = {**params, "ngram_range": tuple(params["ngram_range"])}
    if vocabulary is None:
        return TfidfVectorizer(**kwargs)
    kwargs.pop("min_df")
    vec = TfidfVectorizer(**kwargs, vocabulary={t: i for i, t in enumerate(vocabulary)})
    vec.idf_ = np.asarray(idf, dtype=float)
    return vec


def _vocabulary(vec: Any) -> list[str]:
    return [t for t, _ in sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])]


class SentenceRoleModel:
    """Labels each sentence of a report with its role (strings in, labels out)."""

    def __init__(self, artefact: dict[str, Any]) -> None:
        try:
            if artefact["format"] != FORMAT or artefact["format_version"] != FORMAT_VERSION:
                raise ValueError(f"format {artefact['format']!r} v{artefact['format_version']}")
            self.labels: tuple[str, ...] = tuple(artefact["labels"])
            self._word = _vectorizer(artefact["word"]["params"], artefact["word"]["vocabulary"],
                                     artefact["word"]["idf"])
            self._char = _vectorizer(artefact["char"]["params"], artefact["char"]["vocabulary"],
                                     artefact["char"]["idf"])
            self.coef = np.asarray(artefact["coef"], dtype=float)
            self.intercept = np.asarray(artefact["intercept"], dtype=float)
            n_features = (len(artefact["word"]["vocabulary"]) + len(artefact["char"]["vocabulary"])
                          + len(TOKEN_FEATURES))
            if list(artefact["token_features"]) != list(TOKEN_FEATURES):
                raise ValueError("token features differ from this version's")
            if self.coef.shape != (len(self.labels), n_features) or \
                    self.intercept.shape != (len(self.labels),):
                raise ValueError(f"weights of shape {self.coef.shape} do not fit "
                                 f"{len(self.labels)} labels x {n_features} features")
            if set(self.labels) - set(ROLES):
                raise ValueError(f"unknown labels {sorted(set(self.labels) - set(ROLES))}")
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"not a valid sentence-role model: {exc}") from None
        self.artefact = artefact
        self.hybrid = HybridConfig.model_validate(yaml.safe_load(DEFAULT_HYBRID_YAML))

    @classmethod
    def train(cls, sentences: Sequence[LabelledSentence], c: float = 20.0,
              seed: int = 0) -> SentenceRoleModel:
        """Fit on annotated sentences (deterministic for a given input and seed)."""
        from sklearn.linear_model import LogisticRegression

        groups = by_report(sentences)
        texts = [s.text for g in groups for s in g]
        y = [s.role for g in groups for s in g]
        word, char = _vectorizer(WORD_PARAMS), _vectorizer(CHAR_PARAMS)
        x = hstack([word.fit_transform(texts), char.fit_transform(texts),
                    csr_matrix(np.vstack([token_features([s.text for s in g])
                                          for g in groups]))]).tocsr()
        est = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=seed)
        est.fit(x, y)
        return cls({
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "labels": [str(label) for label in est.classes_],
            "word": {"params": WORD_PARAMS, "vocabulary": _vocabulary(word),
                     "idf": np.round(word.idf_, DECIMALS).tolist()},
            "char": {"params": CHAR_PARAMS, "vocabulary": _vocabulary(char),
                     "idf": np.round(char.idf_, DECIMALS).tolist()},
            "token_features": list(TOKEN_FEATURES),
            "coef": np.round(est.coef_, DECIMALS).tolist(),
            "intercept": np.round(est.intercept_, DECIMALS).tolist(),
            "settings": {"C": c, "seed": seed, "class_weight": "balanced",
                         "estimator": "LogisticRegression(lbfgs, multinomial)"},
        })

    def predict_proba(self, sentences: Sequence[str]) -> np.ndarray:
        """Role probabilities (rows: sentences, columns: `labels`) for one report's sentences."""
        return self.predict_proba_reports([sentences])[0]

    def predict_proba_reports(self, reports: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """`predict_proba` for several reports in one pass (much cheaper than one call each)."""
        flat = [s for sentences in reports for s in sentences]
        if not flat:
            return [np.zeros((0, len(self.labels))) for _ in reports]
        # Position features are relative to each report's own sentences.
        features = np.vstack([token_features(sentences) for sentences in reports])
        x = hstack([self._word.transform(flat), self._char.transform(flat),
                    csr_matrix(features)]).tocsr()
        z = x @ self.coef.T + self.intercept
        z = np.exp(z - z.max(axis=1, keepdims=True))  # softmax, as multinomial LR predicts
        proba = z / z.sum(axis=1, keepdims=True)
        return np.split(proba, np.cumsum([len(sentences) for sentences in reports])[:-1])

    def predict(self, sentences: Sequence[str]) -> list[str]:
        """The most likely role of each sentence of one report."""
        proba = self.predict_proba(sentences)
        return [self.labels[i] for i in proba.argmax(axis=1)]

    def evaluate(self, sentences: Sequence[LabelledSentence]) -> dict[str, Any]:
        """Accuracy, macro F1, per-role precision/recall/F1 and confusion on annotated data."""
        from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
        from sklearn.metrics import precision_recall_fscore_support as prfs

        gold, pred = [], []
        for group in by_report(sentences):
            gold += [s.role for s in group]
            pred += self.predict([s.text for s in group])
        labels = list(self.labels)
        p, r, f, n = prfs(gold, pred, labels=labels, zero_division=0)
        return {
            "n": len(gold),
            "accuracy": round(float(accuracy_score(gold, pred)), 4),
            "macro_f1": round(float(f1_score(gold, pred, labels=labels, average="macro",
                                             zero_division=0)), 4),
            "labels": {lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                             "f1": round(float(f[i]), 4), "support": int(n[i])}
                       for i, lab in enumerate(labels)},
            "confusion": confusion_matrix(gold, pred, labels=labels).tolist(),
            "order": labels,
        }

    @property
    def sha256(self) -> str:
        """Digest of the serialised weights (what a model card pins)."""
        return hashlib.sha256(_dumps(self.artefact).encode("utf-8")).hexdigest()

    def save(self, directory: str | Path, card: dict[str, Any] | None = None) -> Path:
        """Write model.json, card.json and (unless present) a default hybrid.yaml."""
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
        write_text_atomic(root / MODEL_FILE, _dumps(self.artefact))
        write_card(root, "sentence_roles", MODEL_FILE, {"labels": list(self.labels),
                                                        "settings": self.artefact["settings"],
                                                        **(card or {})})
        if not (root / HYBRID_FILE).is_file():
            write_text_atomic(root / HYBRID_FILE, DEFAULT_HYBRID_YAML)
        return root

    @classmethod
    def load(cls, directory: str | Path) -> SentenceRoleModel:
        """Load a verified model directory; raise ModelLoadError when anything does not fit."""
        card, artefact = read_verified(directory, "sentence_roles")
        model = cls(artefact)
        if list(card.get("labels", [])) != list(model.labels):
            raise ModelLoadError(f"{Path(directory) / CARD_FILE}: label set {card.get('labels')} "
                                 f"does not match the model's {list(model.labels)}")
        model.hybrid = HybridConfig.load(Path(directory) / HYBRID_FILE)
        return model


def train_from_file(path: str | Path, test: str | Path | None = None, c: float = 20.0,
                    seed: int = 0) -> tuple[SentenceRoleModel, dict[str, Any]]:
    """Train on an annotation file; the card facts include test metrics when `test` is given."""
    train_set = read_sentences(path)
    model = SentenceRoleModel.train(train_set, c=c, seed=seed)
    card: dict[str, Any] = {"training_data": _data_facts(Path(path), train_set)}
    if test is not None:
        test_set = read_sentences(test)
        card["test_data"] = _data_facts(Path(test), test_set)
        card["test_metrics"] = model.evaluate(test_set)
    return model, card


def _data_facts(path: Path, sentences: Sequence[LabelledSentence]) -> dict[str, Any]:
    return {"file": path.name, "sha256": sha256_file(path), "sentences": len(sentences),
            "reports": len({s.report_id for s in sentences})}


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


# -- combination with the rules -----------------------------------------------------------------
DEFAULT_HYBRID_YAML = """\
# How the sentence-role model is combined with the rules (docs/models.md).
# Rules first: for each signal below, model evidence is used only when the rules found none in
# the report, and only from sentences whose role probability reaches the threshold.
threshold: 0.7
# Per-role overrides, chosen by out-of-fold F1 of each signal on the dev split (docs/models.md).
thresholds:
  situation: 0.9
  result: 0.4
  reinforcement: 0.4
  next_objective: 0.9
  rep_voice: 0.9
# Which report signal each model role supports (roles not listed never add evidence).
signals:
  situation: situation
  action: action
  result: result
  next_objective: next_objective
  reinforcement: reinforcement
  rep_voice: dialogue
  judgement: judgmental
# Checks that must rest on rules alone: their signals never receive model evidence, so the
# model can neither add nor remove their findings.
rule_only: [JUD001, CMP001]
"""


class HybridConfig(BaseModel):
    """How model roles become signal evidence (models/NAME/hybrid.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(ge=0, le=1)
    thresholds: dict[Literal[ROLES], float] = Field(default_factory=dict)  # type: ignore[valid-type]
    signals: dict[Literal[ROLES], str]  # type: ignore[valid-type]
    rule_only: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> HybridConfig:
        """Read and validate a hybrid.yaml; ModelLoadError names the file and key."""
        if not path.is_file():
            raise ModelLoadError(f"{path}: combination settings not found")
        try:
            return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as exc:
            raise ModelLoadError(f"{path}: not valid YAML: {exc}") from None
        except ValidationError as exc:
            details = "; ".join(validation_problems(exc))
            raise ModelLoadError(f"{path}: {details}") from None

    def threshold_for(self, role: str) -> float:
        """The probability a sentence needs for its role to count."""
        return self.thresholds.get(role, self.threshold)


@dataclass(frozen=True, slots=True)
class SentenceFacts:
    """One sentence as the engine read it, with the SMART facets the rules found in it."""

    start: int
    end: int
    text: str
    time_bound: bool = False
    measurable: bool = False
    specific: bool = False


Mode = Literal["hybrid", "model"]
MODEL_SOURCE = "model:"


def protected_signals(config: HybridConfig, signal_of: Mapping[str, str | None]) -> set[str]:
    """Signals read by checks the configuration marks rule-only."""
    return {s for code in config.rule_only if (s := signal_of.get(code))}


def open_roles(ann: Annotations, labels: Sequence[str], config: HybridConfig,
               protected: set[str] = frozenset(), mode: Mode = "hybrid") -> list[tuple[str, str]]:
    """The (role, signal) pairs the model fills for this report.

    hybrid: configured signals the rules found nothing for, except `protected` ones; model:
    every configured signal. An empty list means the model's predictions would not be used.
    """
    return [(role, signal) for role, signal in config.signals.items()
            if role in labels
            and (mode == "model" or (signal not in protected and not ann.has(signal)))]


def combine(ann: Annotations, sentences: Sequence[SentenceFacts], proba: np.ndarray,
            labels: Sequence[str], config: HybridConfig, protected: set[str] = frozenset(),
            mode: Mode = "hybrid", window: int = 1) -> Annotations:
    """Annotations with model evidence added (hybrid) or with the role signals replaced (model).

    hybrid: for each configured signal the rules found nothing for, sentences whose role
    probability reaches the threshold become its evidence; `protected` signals are never touched.
    model: the configured signals come from the model alone, each sentence counting for its
    most likely role (an ablation; nothing protected, no thresholds).
    """
    signals = dict(ann.signals)
    objectives = ann.objectives
    for role, signal in open_roles(ann, labels, config, protected, mode):
        col = list(labels).index(role)
        if mode == "model":  # the model's own decision: the sentence's most likely role
            chosen = [i for i in range(len(sentences)) if proba[i].argmax() == col]
        else:
            chosen = [i for i in range(len(sentences))
                      if proba[i, col] >= config.threshold_for(role)]
        signals[signal] = tuple(
            Hit(sentences[i].start, sentences[i].end, signal, sentences[i].text,
                f"{MODEL_SOURCE}p={proba[i, col]:.2f}") for i in chosen)
        if signal == "next_objective":
            objectives = _objectives(sentences, chosen, window)
    return dataclasses.replace(ann, signals=signals, objectives=objectives)


def _objectives(sentences: Sequence[SentenceFacts], chosen: list[int],
                window: int) -> tuple[Objective, ...]:
    """Objectives from model-chosen sentences; facets may come from the next `window` of them."""
    picked = set(chosen)
    out = []
    for i in chosen:
        group = [sentences[j] for j in range(i, min(i + 1 + window, len(sentences)))
                 if j in picked]
        s = sentences[i]
        out.append(Objective(s.start, s.end, s.text, specific=any(g.specific for g in group),
                             measurable=any(g.measurable for g in group),
                             time_bound=any(g.time_bound for g in group)))
    return tuple(out)


def fired_by(hits: Iterable[Hit]) -> str:
    """Which side produced these hits: "rules", "model", "rules+model" or "none"."""
    sides = {"model" if h.source.startswith(MODEL_SOURCE) else "rules" for h in hits}
    return "+".join(sorted(sides, key=("rules", "model").index)) or "none"


#: Check types that read a signal without naming it in their params.
TYPE_SIGNALS = {"smart_objective": "next_objective", "alignment": "focus_competencies"}


def check_signals(specs: Iterable[CheckSpec]) -> dict[str, str | None]:
    """The signal each configured check reads, by check code (None when it reads none)."""
    return {s.code: s.params.get("signal") or TYPE_SIGNALS.get(s.type) for s in specs}


def with_sources(findings: Sequence[Finding], ann: Annotations,
                 signal_of: Mapping[str, str | None]) -> list[Finding]:
    """Findings whose explanation also says whether rules, the model or both fired."""
    out = []
    for f in findings:
        signal = signal_of.get(f.code)
        if not signal:
            out.append(f)
            continue
        hits = ann.signal(signal)
        spans = {(e.start, e.end) for e in f.evidence}
        own = [h for h in hits if (h.start, h.end) in spans] or hits  # this finding's evidence
        side = fired_by(own)
        note = "neither rules nor model fired" if side == "none" else f"{side} fired"
        explanation = f"{f.explanation}; {note}" if f.explanation else note
        out.append(f.model_copy(update={"explanation": explanation}))
    return out


# Verb tags of a behaviour verb, as ReportReader._specific tests them for SMART "specific".
_VERB_TAGS = frozenset({"VB", "VBP", "VBG", "VBZ"})


def sentence_facts(doc: Any, specific_lemmas: Iterable[str]) -> list[SentenceFacts]:
    """A read spaCy Doc's non-blank sentences with the SMART facets the rules found in each."""
    lemmas = frozenset(x.lower() for x in specific_lemmas)
    cues = [(sp.start_char, sp.label_) for sp in doc.spans.get("cue", ())]
    comps = [sp.start_char for sp in doc.spans.get("competency", ())]
    out = []
    for s in doc.sents:
        if not s.text.strip():
            continue
        a, b = s.start_char, s.end_char
        inside = {label for start, label in cues if a <= start < b}
        out.append(SentenceFacts(
            a, b, s.text, time_bound="time" in inside, measurable="measure" in inside,
            specific=any(a <= c < b for c in comps)
            or any(t.tag_ in _VERB_TAGS and t.norm_ in lemmas for t in s)))
    return out
