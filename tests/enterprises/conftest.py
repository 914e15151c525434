from tests.enterprises.test_register import zone  # noqa: F401  (the fixture, for every module)
