"""Summary tables of ratings, kept exact by the writes that change them: `monthly` (the learner
dashboard's) and `periods` (the cohort heatmap's). Import from the submodules."""
