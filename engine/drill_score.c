/* placeholder */
typedef int drill_score_placeholder;
