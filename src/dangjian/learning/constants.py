"""Constants of 学习教育."""

# the posts whose holders need the leaders' yearly hours (rules.md §6: secretaries and committee
# members, EDU-02)
LEADER_POSTS = (
    "secretary",
    "deputy_secretary",
    "organization",
    "propaganda",
    "discipline",
    "committee_member",
)
