"""scikit-learn models: artefacts with cards, training and prediction (strings and features in,
labels out): the sentence-role model, its combination with the rules, and the calibration."""
