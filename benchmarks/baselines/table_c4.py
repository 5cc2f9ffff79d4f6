"""The numbers of T/SGIPA table C.4 and formula (2) that every hand-written baseline uses
(each baseline computes with them in its own library's idiom)."""

POINTS = {"ip_score": 6, "standards_score": 4, "key_tech_score": 10, "env_benefit_score": 20, "team_score": 8,
          "rd_score": 8, "growth_score": 4, "market_score": 8, "influence_score": 5, "honors_score": 5,
          "ghg_score": 4, "process_score": 3, "energy_score": 4, "pollutant_score": 3,
          "internal_action_score": 6, "social_score": 2}
ENVIRONMENTAL = ("ghg_score", "process_score", "energy_score", "pollutant_score")  # not applicable: 7.4.2 注1
SME_BONUS = ("ip_score", "standards_score", "team_score", "market_score", "influence_score", "honors_score")
# formula (2): Tᵢ by level, Fᵢ by kind, Dᵢ by role (注4: levels above local count as lead)
LEVEL_WEIGHT = {"international": 1.2, "national": 1.0, "industry": 1.0, "local": 0.5, "group": 0.2}
KIND_WEIGHT = {"new": 1.0, "revision": 0.8}
ROLE_WEIGHT = {"lead": 1.0, "participant": 0.5}
