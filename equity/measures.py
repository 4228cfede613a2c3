"""What the equity view measures, by key and label. Apart from `fitting`, whose statistics
libraries the pages must not import (they take seconds and about 150 MB to load)."""

RATING = "rating"
NARRATIVE = "narrative"
CONSENSUS = "consensus"
FREQUENCY = "frequency"

MEASURES = {
    RATING: "Assessor ratings (level)",
    NARRATIVE: "Narrative length (characters)",
    CONSENSUS: "Committee consensus (level)",
    FREQUENCY: "How often assessed (ratings per learner per period)",
}
