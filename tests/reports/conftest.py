from ..followup.conftest import october  # noqa: F401  (a fixture the tests here use)
