"""dangjian: the platform a city's organization department and its grassroots party organizations
use."""

__version__ = "0.1.0"
