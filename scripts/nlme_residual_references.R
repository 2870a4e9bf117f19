# References for residual error structures (issue 6): nlme::lme fits written as JSON to
# tests/data/residual/. Run from the repository root:  Rscript scripts/nlme_residual_references.R
# Each fixture: loglik (ML log-likelihood or REML log restricted likelihood), fixed effects with SEs,
# the random-effect variance(s), the residual variance sigma^2 and the structure's parameters in
# Stata's parametrization (phi, theta, rho of rho^|dt|, per-group variance ratios).
suppressPackageStartupMessages(library(nlme))
shared <- Sys.getenv("LMM_SHARED_DIR", "/work/shared")
out_dir <- "tests/data/residual"
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
ctrl <- lmeControl(msMaxIter = 500, maxIter = 500, msTol = 1e-12, tolerance = 1e-10,
                   niterEM = 0, opt = "optim", optimMethod = "BFGS", returnObject = TRUE)

num <- function(x) format(x, digits = 12)
write_fixture <- function(name, data, formula, method, spec, fit, params) {
  vc <- as.numeric(as.matrix(fit$modelStruct$reStruct[[1]]))[1] * fit$sigma^2
  fe <- summary(fit)$tTable
  fixed <- paste0(sprintf('    "%s": {"estimate": %s, "se": %s}', rownames(fe),
                          num(fe[, "Value"]), num(fe[, "Std.Error"])), collapse = ",\n")
  pars <- paste0(sprintf('    "%s": %s', names(params), num(unlist(params))), collapse = ",\n")
  json <- paste0('{\n  "name": "', name, '",\n  "data": "', data, '",\n  "formula": "', formula,
                 '",\n  "method": "', method, '",\n  "residuals": "', spec,
                 '",\n  "reference": "R nlme::lme ', packageVersion("nlme"), '",\n  "loglik": ',
                 num(as.numeric(logLik(fit))), ',\n  "nobs": ', fit$dims$N,
                 ',\n  "fixed": {\n', fixed, '\n  },\n  "var_random": ', num(vc[1]),
                 ',\n  "sigma2": ', num(fit$sigma^2), ',\n  "residual_params": {\n', pars,
                 '\n  }\n}\n')
  writeLines(json, file.path(out_dir, paste0(name, ".json")))
}

ovary <- read.csv(file.path(shared, "data/ovary.csv"))
ovary$Mare <- factor(ovary$Mare)
orth <- read.csv(file.path(shared, "data/orthodont.csv"))
sleep <- read.csv(file.path(shared, "data/sleepstudy.csv"))
sleep$Subject <- factor(sleep$Subject)

arma_pars <- function(fit, prefix) {
  cs <- coef(fit$modelStruct$corStruct, unconstrained = FALSE)
  setNames(as.list(cs), paste0(prefix, seq_along(cs)))
}

# AR(1), ML (Stata: ar 1, t(time)).
f <- lme(follicles ~ sin1 + cos1, random = ~ 1 | Mare, data = ovary, method = "ML",
         correlation = corAR1(form = ~ time | Mare), control = ctrl)
write_fixture("ovary_ar1_ml", "shared/data/ovary.csv", "follicles ~ sin1 + cos1 + (1 | Mare)",
              "ML", "ar(1, time = time)", f,
              list(phi1 = coef(f$modelStruct$corStruct, unconstrained = FALSE)[[1]]))

# MA(2), REML (Stata: ma 2, t(time)); nlme's MA sign convention equals Stata's (e_t = a_t + ...).
f <- lme(follicles ~ sin1 + cos1, random = ~ 1 | Mare, data = ovary, method = "REML",
         correlation = corARMA(form = ~ time | Mare, p = 0, q = 2), control = ctrl)
write_fixture("ovary_ma2_reml", "shared/data/ovary.csv", "follicles ~ sin1 + cos1 + (1 | Mare)",
              "REML", "ma(2, time = time)", f, arma_pars(f, "theta"))

# Exponential on the real-valued Time, REML: nlme's corExp exp(-d / range) = rho^d with
# rho = exp(-1 / range).
f <- lme(follicles ~ sin1 + cos1, random = ~ 1 | Mare, data = ovary, method = "REML",
         correlation = corExp(form = ~ Time | Mare), control = ctrl)
range <- coef(f$modelStruct$corStruct, unconstrained = FALSE)[[1]]
write_fixture("ovary_exponential_reml", "shared/data/ovary.csv",
              "follicles ~ sin1 + cos1 + (1 | Mare)", "REML", "exponential(time = Time)", f,
              list(rho = exp(-1 / range)))

# Exchangeable with a random slope (an intercept would be confounded with it), REML.
f <- lme(Reaction ~ Days, random = ~ 0 + Days | Subject, data = sleep, method = "REML",
         correlation = corCompSymm(form = ~ 1 | Subject), control = ctrl)
write_fixture("sleepstudy_exchangeable_reml", "shared/data/sleepstudy.csv",
              "Reaction ~ Days + (0 + Days | Subject)", "REML", "exchangeable", f,
              list(rho = coef(f$modelStruct$corStruct, unconstrained = FALSE)[[1]]))

# Heteroskedastic independent residuals by Sex, ML: var(e | Male) = sigma^2 ratio^2 with nlme's
# varIdent ratio (Female is the reference level in byte order, as lmmgpu orders by levels).
f <- lme(distance ~ age + Sex, random = ~ 1 | Subject, data = orth, method = "ML",
         weights = varIdent(form = ~ 1 | Sex), control = ctrl)
ratio <- coef(f$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)
write_fixture("orthodont_independent_by_sex_ml", "shared/data/orthodont.csv",
              "distance ~ age + Sex + (1 | Subject)", "ML", "independent(by = Sex)", f,
              list(sd_ratio_Female = ratio[["Female"]], sd_ratio_Male = ratio[["Male"]]))
# Unstructured over the replicate index within Worker:Machine cells, a random intercept per Worker
# (the cells carry no random effect: Stata's `|| Worker: || cell:, noconstant`, lmmgpu's
# `group = cell`), REML: nlme's corSymm with varIdent by replicate.
machines <- read.csv(file.path(shared, "data/machines.csv"))
machines$rep <- ave(seq_len(nrow(machines)), machines$Worker, machines$Machine, FUN = seq_along) - 1
machines$cell <- paste(machines$Worker, machines$Machine, sep = ":")
write.csv(machines, file.path(out_dir, "machines_rep.csv"), row.names = FALSE)
machines$Worker <- factor(machines$Worker)
machines$Machine <- factor(machines$Machine)
f <- lme(score ~ Machine, random = ~ 1 | Worker, data = machines, method = "REML",
         correlation = corSymm(form = ~ (rep + 1) | Worker/Machine),
         weights = varIdent(form = ~ 1 | rep), control = ctrl)
corr <- coef(f$modelStruct$corStruct, unconstrained = FALSE)
ratio <- coef(f$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)
write_fixture("machines_unstructured_reml", "tests/data/residual/machines_rep.csv",
              "score ~ Machine + (1 | Worker)", "REML", "unstructured(time = rep, group = cell)", f,
              list(`corr(e0,e1)` = corr[[1]], `corr(e0,e2)` = corr[[2]], `corr(e1,e2)` = corr[[3]],
                   sd_ratio_time_1 = ratio[["1"]], sd_ratio_time_2 = ratio[["2"]]))

# banded(0): independent residuals with a variance per time identifier (age 8, 10, 12, 14), ML:
# nlme's varIdent by age. sd_ratio_time_k is the ratio of the k-th smallest age to age 8.
orth$agef <- factor(orth$age)
f <- lme(distance ~ age + Sex, random = ~ 1 | Subject, data = orth, method = "ML",
         weights = varIdent(form = ~ 1 | agef), control = ctrl)
ratio <- coef(f$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)
write_fixture("orthodont_banded0_ml", "shared/data/orthodont.csv",
              "distance ~ age + Sex + (1 | Subject)", "ML", "banded(0, time = age)", f,
              list(sd_ratio_time_1 = ratio[["10"]], sd_ratio_time_2 = ratio[["12"]],
                   sd_ratio_time_3 = ratio[["14"]]))

# Gaps are lags (Stata: "nonconsecutive time values will be treated as gaps"): Orthodont's ages
# 8, 10, 12, 14 with ar(1, time = age) give lags 2, 4, 6, i.e. the AR(1) in age / 2 with
# phi_age^2 = phi_(age/2). nlme's own fit in age stalls at phi = 0 (the likelihood is even in phi
# there), so the reference is nlme's fit in age / 2, compared through phi1^2.
f <- lme(distance ~ age + Sex, random = ~ 1 | Subject, data = orth, method = "REML",
         correlation = corAR1(form = ~ I(age / 2) | Subject), control = ctrl)
write_fixture("orthodont_ar1_gaps_reml", "shared/data/orthodont.csv",
              "distance ~ age + Sex + (1 | Subject)", "REML", "ar(1, time = age)", f,
              list(phi1_squared = coef(f$modelStruct$corStruct, unconstrained = FALSE)[[1]]))

cat("wrote", length(list.files(out_dir, pattern = "json$")), "fixtures to", out_dir, "\n")
