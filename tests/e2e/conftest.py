from tests.e2e.fixtures import add_asset, browser, context, page, processed_samples  # noqa: F401
