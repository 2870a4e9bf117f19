# Reference values for the small-sample inference tests (tests/inference): Satterthwaite df
# (lmerTest 3.1), Kenward-Roger df, adjusted SEs and scaled F tests (pbkrtest 0.5 via lmerTest),
# on unbalanced designs where the Kenward-Roger adjustment is not zero. Writes the derived data
# sets and one JSON file per case to tests/data/inference/. Run from the repository root:
#   Rscript scripts/ddf_references.R
suppressPackageStartupMessages({
  library(lmerTest)
  library(pbkrtest)
  library(jsonlite)
})
shared <- "../shared/data"
out <- "tests/data/inference"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

sleep <- read.csv(file.path(shared, "sleepstudy.csv"))
sleep_u <- sleep[(seq_len(nrow(sleep)) * 7) %% 5 != 0 | sleep$Days < 2, ]
write.csv(sleep_u, file.path(out, "sleepstudy_unbalanced.csv"), row.names = FALSE)

machines <- read.csv(file.path(shared, "machines.csv"))
machines_u <- machines[-c(1, 2, 7, 20, 33, 34, 50), ]
write.csv(machines_u, file.path(out, "machines_unbalanced.csv"), row.names = FALSE)

pen <- read.csv(file.path(shared, "penicillin.csv"))
pen$x <- ((seq_len(nrow(pen)) * 37) %% 11) / 11
pen_u <- pen[-c(3, 17, 40, 41, 99, 130), ]
write.csv(pen_u, file.path(out, "penicillin_x.csv"), row.names = FALSE)

cases <- list(
  list(name = "sleepstudy_unbalanced", file = "sleepstudy_unbalanced.csv",
       formula = "Reaction ~ Days + (Days | Subject)"),
  list(name = "machines_unbalanced", file = "machines_unbalanced.csv",
       formula = "score ~ Machine + (1 | Worker) + (1 | Worker:Machine)"),
  list(name = "penicillin_x", file = "penicillin_x.csv",
       formula = "diameter ~ x + (1 | plate) + (1 | sample)"),
  list(name = "ovary", file = file.path("..", "..", "..", "..", "shared", "data", "ovary.csv"),
       formula = "follicles ~ sin1 + cos1 + (1 | Mare)"),
  list(name = "orthodont_reml", file = file.path("..", "..", "..", "..", "shared", "data", "orthodont.csv"),
       formula = "distance ~ age + Sex + (age | Subject)")
)

for (cs in cases) {
  data <- read.csv(file.path(out, cs$file))
  fit <- lmer(as.formula(cs$formula), data = data, REML = TRUE)
  s_sat <- summary(fit, ddf = "Satterthwaite")$coefficients
  t0 <- proc.time()[["elapsed"]]
  vadj <- vcovAdj(fit)
  kr_seconds <- proc.time()[["elapsed"]] - t0
  s_kr <- summary(fit, ddf = "Kenward-Roger")$coefficients
  fixed <- list()
  for (nm in rownames(s_sat)) {
    fixed[[nm]] <- list(estimate = s_sat[nm, "Estimate"], se = s_sat[nm, "Std. Error"],
                        df_satterthwaite = s_sat[nm, "df"], df_kenward_roger = s_kr[nm, "df"],
                        se_kenward_roger = sqrt(vadj[nm, nm]))
  }
  a_sat <- anova(fit, ddf = "Satterthwaite", type = 3)
  a_kr <- anova(fit, ddf = "Kenward-Roger", type = 3)
  anova_list <- list()
  for (term in rownames(a_sat)) {
    anova_list[[term]] <- list(F = a_sat[term, "F value"], numdf = a_sat[term, "NumDF"],
                               dendf_satterthwaite = a_sat[term, "DenDF"],
                               F_kenward_roger = a_kr[term, "F value"],
                               dendf_kenward_roger = a_kr[term, "DenDF"])
  }
  # Joint test of all coefficients but the intercept.
  p <- length(fixef(fit))
  L <- diag(p)[-1, , drop = FALSE]
  joint_sat <- contestMD(fit, L, ddf = "Satterthwaite")
  joint_kr <- contestMD(fit, L, ddf = "Kenward-Roger")
  ref <- list(name = cs$name, data = cs$file, formula = cs$formula, method = "REML",
              reference = "R lme4/lmerTest/pbkrtest", kr_seconds = kr_seconds,
              theta = getME(fit, "theta"), sigma = sigma(fit),
              fixed = fixed, anova = anova_list,
              joint = list(F = joint_sat[["F value"]], numdf = joint_sat[["NumDF"]],
                           dendf_satterthwaite = joint_sat[["DenDF"]],
                           F_kenward_roger = joint_kr[["F value"]],
                           dendf_kenward_roger = joint_kr[["DenDF"]]))
  writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE),
             file.path(out, paste0(cs$name, ".json")))
  cat(cs$name, "done\n")
}
