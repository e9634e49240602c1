"""NLP for claimflow: read and normalise articles, split them into candidate claims with spaCy,
score how check-worthy each is and give it a type.

Plain Python: no Prefect, no database, no printing. Imports none of claimflow's other packages.
"""
