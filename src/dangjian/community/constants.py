"""Who 双报到 asks to report: 在职党员 of offices, public institutions, state enterprises and
schools (机关企事业单位); retired members and students are not asked."""

IN_SERVICE_CATEGORIES = ("organ", "institution", "soe", "school")
NOT_IN_SERVICE = ("retired", "student")
