"""The demo company generator: two brands, 18 months of customers, feedback and complaints.

`trustpulse demo` builds it (demo.cli); demo.model documents the generative model and the truth.
"""
