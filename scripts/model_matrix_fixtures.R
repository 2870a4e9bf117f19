# Writes tests/data/design/model_matrices.json: for each case (dataset, formula) the fixed-effects
# design as R's model.matrix builds it through lme4::lFormula (column names, column sums, sums of
# squares and the first rows), nobs, and each grouping factor's number of levels.
# Run from the repository root:  Rscript scripts/model_matrix_fixtures.R ../shared/data
suppressPackageStartupMessages({ library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args) >= 1) args[[1]] else "../shared/data"

cases <- list(
  list("sleepstudy", "Reaction ~ Days + (Days | Subject)"),
  list("sleepstudy", "Reaction ~ Days + (Days || Subject)"),
  list("sleepstudy", "Reaction ~ Days + I(Days^2) + (1 | Subject)"),
  list("sleepstudy", "Reaction ~ factor(Days) + (1 | Subject)"),
  list("sleepstudy", "Reaction ~ 0 + factor(Days) + (1 | Subject)"),
  list("sleepstudy", "Reaction ~ log(Days + 1) + (1 | Subject)"),
  list("dyestuff", "Yield ~ 1 + (1 | Batch)"),
  list("insteval", "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)"),
  list("insteval", "y ~ factor(studage) * service + (1 | s)"),
  list("machines", "score ~ Machine + (1 | Worker) + (1 | Worker:Machine)"),
  list("machines", "score ~ 0 + Machine + (1 | Worker)"),
  list("orthodont", "distance ~ age * Sex + (age | Subject)"),
  list("orthodont", "distance ~ age:Sex + (1 | Subject)"),
  list("orthodont", "distance ~ Sex + age:Sex + (1 | Subject)"),
  list("orthodont", "distance ~ I(age - 11) * Sex + (1 | Subject)"),
  list("pastes", "strength ~ 1 + (1 | batch/cask)"),
  list("pastes", "strength ~ batch + (1 | cask)"),
  list("penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)"),
  list("t43", "score ~ factor(drug) + (1 | person)"),
  list("toy", "y ~ 1 + (1 | subject)"),
  list("ovary", "follicles ~ sin1 + cos1 + (1 | Mare)")
)

out <- lapply(cases, function(cs) {
  d <- read.csv(file.path(data_dir, paste0(cs[[1]], ".csv")), stringsAsFactors = FALSE)
  f <- as.formula(cs[[2]])
  lf <- lFormula(f, data = d)
  X <- lf$X
  list(dataset = cs[[1]], formula = cs[[2]], nobs = nrow(X),
       columns = colnames(X),
       colsums = unname(colSums(X)),
       colsumsq = unname(colSums(X^2)),
       head = unname(lapply(seq_len(min(5, nrow(X))), function(i) unname(X[i, ]))),
       y_sum = sum(model.response(lf$fr)),
       groups = as.list(sapply(lf$reTrms$flist, nlevels)),
       re_columns = lapply(lf$reTrms$cnms, unname),
       re_groups = names(lf$reTrms$cnms))
})
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/data/design/model_matrices.json")
cat("wrote", length(out), "cases\n")
