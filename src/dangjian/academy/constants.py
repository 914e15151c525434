"""The six kinds of class the regulations name (code, name, purpose, order); a deployment adds its
own. Installed by migration 0002 and, where a flushed database lacks them, by `ensure_kinds`."""

KINDS = [
    ("activist", "入党积极分子培训班", "activist", 10),
    ("development", "发展对象培训班", "development", 20),
    ("new_member", "新党员培训班", "new_member", 30),
    ("secretary", "支部书记培训班", "secretary", 40),
    ("worker", "党务工作者培训班", "worker", 50),
    ("instructor", "非公党建指导员培训班", "instructor", 60),
]
