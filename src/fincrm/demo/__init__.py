"""The demo institution: a generated Chinese bank (钱塘银行) with its clients, products, history and
planted life stories, so the whole product can be shown and tested without real data.

``generate_institution`` is the entry point (``fincrm generate`` on the command line).
"""

from fincrm.demo.generator import GenerationResult, generate_institution

__all__ = ["GenerationResult", "generate_institution"]
