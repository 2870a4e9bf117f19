# Fixture generator for tests/likelihood: lme4's profiled deviance / REML criterion at fixed theta.
#
# For every reference fit in shared/reference/*.json without a residual structure, builds the
# model with lme4::lFormula, makes the objective with mkLmerDevfun (REML TRUE and FALSE), and
# evaluates it at three theta vectors: lme4's start, the optimum of lmer() for that criterion, and a
# perturbed optimum. theta is written in lme4's order (terms sorted by number of levels,
# decreasing, as mkReTrms does), with getME's names and, per term, its group and columns, so the
# C++ test can map it onto its own term order.
#
# Usage (from the repository root, with shared/ beside it):
#   Rscript scripts/lme4_deviances.R ../shared tests/data/likelihood/lme4_deviances.json
# Made with R 4.2 and lme4 1.1-31 (Debian packages).
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
shared <- if (length(args) >= 1) args[1] else "../shared"
out <- if (length(args) >= 2) args[2] else "tests/data/likelihood/lme4_deviances.json"

# Non-finite numbers (the -Inf lower bounds of off-diagonal theta) are written as null.
num <- function(x) ifelse(is.finite(x), sprintf("%.17g", x), "null")
jstr <- function(x) paste0("\"", gsub("\"", "\\\\\"", x), "\"")
jarr <- function(v, f) paste0("[", paste(vapply(v, f, ""), collapse = ", "), "]")

# A perturbation that keeps theta inside lme4's bounds (diagonal elements >= 0).
perturb <- function(theta, lower) {
  k <- seq_along(theta)
  step <- 0.15 * (abs(theta) + 0.2) * ifelse(k %% 2 == 1, 1, -1)
  p <- theta + step
  ifelse(is.finite(lower) & p < lower, lower + 0.05, p)
}

refs <- Sys.glob(file.path(shared, "reference", "*.json"))
cases <- character()
for (ref_path in refs) {
  ref <- fromJSON(ref_path)
  if (!is.null(ref$residuals)) next
  dataset <- sub("\\.csv$", "", basename(ref$data))
  data <- read.csv(file.path(shared, "data", basename(ref$data)))
  form <- as.formula(ref$formula)
  for (reml in c(TRUE, FALSE)) {
    lf <- lFormula(form, data = data, REML = reml)
    devfun <- mkLmerDevfun(lf$fr, lf$X, lf$reTrms, REML = reml)
    fit <- lmer(form, data = data, REML = reml,
                control = lmerControl(optimizer = "bobyqa",
                                      optCtrl = list(maxfun = 1e5)))
    opt <- getME(fit, "theta")
    start <- lf$reTrms$theta
    lower <- lf$reTrms$lower
    thetas <- list(start = start, optimum = unname(opt),
                   perturbed = perturb(unname(opt), lower))
    cnms <- lf$reTrms$cnms
    terms <- vapply(seq_along(cnms), function(i) {
      paste0("{\"group\": ", jstr(names(cnms)[i]),
             ", \"levels\": ", nlevels(lf$reTrms$flist[[attr(lf$reTrms$flist, "assign")[i]]]),
             ", \"columns\": ", jarr(cnms[[i]], jstr), "}")
    }, "")
    for (which in names(thetas)) {
      th <- thetas[[which]]
      value <- devfun(th)
      cases <- c(cases, paste0(
        "  {\"dataset\": ", jstr(dataset),
        ", \"formula\": ", jstr(ref$formula),
        ", \"reml\": ", tolower(as.character(reml)),
        ", \"which\": ", jstr(which),
        ",\n   \"theta_names\": ", jarr(names(opt), jstr),
        ",\n   \"terms\": [", paste(terms, collapse = ", "), "]",
        ",\n   \"theta\": ", jarr(th, num),
        ", \"lower\": ", jarr(lower, num),
        ",\n   \"value\": ", num(value),
        if (which == "optimum") paste0(
          ", \"sigma\": ", num(sigma(fit)),
          ", \"beta\": ", jarr(unname(fixef(fit)), num)) else "",
        "}"))
    }
    cat(dataset, ref$formula, if (reml) "REML" else "ML", "done\n")
  }
}
dir.create(dirname(out), showWarnings = FALSE, recursive = TRUE)
writeLines(c(
  "{\"generator\": \"scripts/lme4_deviances.R\",",
  paste0(" \"lme4_version\": ", jstr(as.character(packageVersion("lme4"))), ","),
  paste0(" \"R_version\": ", jstr(R.version.string), ","),
  " \"cases\": [",
  paste(cases, collapse = ",\n"),
  " ]}"), out)
cat("wrote", length(cases), "cases to", out, "\n")
