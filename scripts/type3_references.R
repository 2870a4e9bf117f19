# Reference values for the Type III F tests of model terms that are contained in interactions
# (tests/inference/type3_test.cc): lmerTest 3.1's anova(type = 3) with Satterthwaite's and
# Kenward-Roger's (pbkrtest) denominator df, the hypothesis matrices lmerTest builds for each term
# (get_contrasts_type3, which do not depend on the coding of the contrasts), and the joint test of
# all coefficients but the intercept. Simulates small unbalanced data sets with a fixed seed and
# writes tests/data/type3_<case>.csv and tests/data/type3_<case>.json. Run from the repository root:
#   Rscript scripts/type3_references.R
suppressPackageStartupMessages({
  library(lmerTest)
  library(pbkrtest)
  library(jsonlite)
})
out <- "tests/data"
set.seed(20261121)

# Groups of unequal size: n_g rows per group drawn from 3..(2 * mean - 3).
grouped <- function(groups, mean_size) {
  sizes <- sample(3:(2 * mean_size - 3), groups, replace = TRUE)
  data.frame(g = sprintf("g%02d", rep(seq_len(groups), sizes)))
}
level <- function(prefix, k, n, prob = rep(1, k)) {
  sprintf("%s%d", prefix, sample.int(k, n, replace = TRUE, prob = prob))
}
ranef_of <- function(g, sd) {
  u <- rnorm(length(unique(g)), sd = sd)
  u[as.integer(factor(g))]
}

# factor x factor: A (3 levels) x B (3 levels), unequal cell counts.
d <- grouped(14, 9)
n <- nrow(d)
d$A <- level("a", 3, n, c(0.5, 0.3, 0.2))
d$B <- level("b", 3, n, c(0.25, 0.35, 0.4))
eff_a <- c(a1 = 0, a2 = 1.0, a3 = -0.5)
eff_ab <- ifelse(d$A == "a2" & d$B == "b3", 1.2, 0)
d$y <- 10 + eff_a[d$A] + 0.4 * (d$B == "b2") + eff_ab + ranef_of(d$g, 1) + rnorm(n, sd = 1.5)
ff <- d[, c("y", "A", "B", "g")]

# factor x continuous, with a random slope: A (3 levels) x x.
d <- grouped(16, 8)
n <- nrow(d)
d$A <- level("a", 3, n, c(0.4, 0.35, 0.25))
d$x <- round(runif(n, 0, 10), 2)
slope <- c(a1 = 0.5, a2 = 0.8, a3 = 0.3)
u0 <- ranef_of(d$g, 2)
u1 <- ranef_of(d$g, 0.3)
d$y <- 5 + (d$A == "a3") * 1.5 + (slope[d$A] + u1) * d$x + u0 + rnorm(n, sd = 1)
fc <- d[, c("y", "A", "x", "g")]

# continuous x continuous: x * z with two crossed grouping factors.
d <- grouped(12, 10)
n <- nrow(d)
d$h <- sprintf("h%d", sample.int(6, n, replace = TRUE))
d$x <- round(rnorm(n, 2, 1), 3)
d$z <- round(runif(n, -1, 3), 3)
d$y <- 1 + 0.5 * d$x - 0.3 * d$z + 0.25 * d$x * d$z + ranef_of(d$g, 1) + ranef_of(d$h, 0.7) +
  rnorm(n, sd = 1)
cc <- d[, c("y", "x", "z", "g", "h")]

# three-way factor interaction: A (3) x B (2) x C (2), unequal cells.
d <- grouped(18, 10)
n <- nrow(d)
d$A <- level("a", 3, n, c(0.3, 0.3, 0.4))
d$B <- level("b", 2, n, c(0.6, 0.4))
d$C <- level("c", 2, n, c(0.45, 0.55))
d$y <- 20 + (d$A == "a2") - 0.8 * (d$B == "b2") + 0.6 * (d$C == "c2") +
  1.1 * (d$A == "a3" & d$B == "b2") - 0.9 * (d$A == "a2" & d$B == "b2" & d$C == "c2") +
  ranef_of(d$g, 1.2) + rnorm(n, sd = 1.3)
fff <- d[, c("y", "A", "B", "C", "g")]

# three-way with a covariate: A (2) x B (3) x x, random slope in x.
d <- grouped(15, 12)
n <- nrow(d)
d$A <- level("a", 2, n, c(0.55, 0.45))
d$B <- level("b", 3, n, c(0.3, 0.3, 0.4))
d$x <- round(runif(n, 0, 5), 2)
d$y <- 3 + 0.7 * d$x + 0.5 * (d$A == "a2") * d$x - 0.4 * (d$B == "b3") * d$x +
  0.3 * (d$A == "a2" & d$B == "b2") * d$x + ranef_of(d$g, 1) + ranef_of(d$g, 0.25) * d$x +
  rnorm(n, sd = 0.8)
ffc <- d[, c("y", "A", "B", "x", "g")]

cases <- list(
  list(name = "factor_factor", data = ff, formula = "y ~ A * B + (1 | g)"),
  list(name = "factor_continuous", data = fc, formula = "y ~ A * x + (x | g)"),
  list(name = "continuous_continuous", data = cc, formula = "y ~ x * z + (1 | g) + (1 | h)"),
  list(name = "three_way", data = fff, formula = "y ~ A * B * C + (1 | g)"),
  list(name = "three_way_covariate", data = ffc, formula = "y ~ A * B * x + (x || g)"),
  # B nested in A (no B main effect): A is coded by indicators in A:B, so by lmerTest's rule it is
  # not contained in A:B and keeps its own coefficients.
  list(name = "nested_within", data = ff, formula = "y ~ A + A:B + (1 | g)"),
  # An empty cell: its column is aliased (zero in the data); lmerTest still builds its hypotheses.
  list(name = "empty_cell", data = ff[!(ff$A == "a3" & ff$B == "b3"), ],
       formula = "y ~ A * B + (1 | g)"),
  # Two empty cells of a three-way interaction: the A:B:C columns dropped have rows, so lmerTest's
  # ginv(X) rdX is a least-squares fit on the data.
  list(name = "three_way_empty_cells",
       data = fff[!(fff$A == "a2" & fff$B == "b2" & fff$C == "c1") &
                  !(fff$A == "a3" & fff$B == "b1" & fff$C == "c2"), ],
       formula = "y ~ A * B * C + (1 | g)"),
  # Shared data, a real unbalanced factor x continuous case (Sex x age on Orthodont).
  list(name = "orthodont", data = read.csv("../shared/data/orthodont.csv"),
       formula = "distance ~ age * Sex + (1 | Subject)")
)

anova_rows <- function(a) {
  rows <- list()
  for (term in rownames(a)) {
    rows[[term]] <- list(F = a[term, "F value"], numdf = a[term, "NumDF"],
                         dendf = a[term, "DenDF"], p = a[term, "Pr(>F)"])
  }
  rows
}

for (cs in cases) {
  file <- paste0("type3_", cs$name, ".csv")
  write.csv(cs$data, file.path(out, file), row.names = FALSE)
  data <- read.csv(file.path(out, file))
  fit <- lmer(as.formula(cs$formula), data = data, REML = TRUE)
  a_sat <- anova(fit, ddf = "Satterthwaite", type = 3)
  a_kr <- anova(fit, ddf = "Kenward-Roger", type = 3)
  hyp <- attr(a_sat, "hypotheses")
  hypotheses <- lapply(hyp, function(L) list(columns = colnames(L), rows = unname(L)))
  p <- length(fixef(fit))
  L <- diag(p)[-1, , drop = FALSE]
  joint_sat <- contestMD(fit, L, ddf = "Satterthwaite")
  joint_kr <- contestMD(fit, L, ddf = "Kenward-Roger")
  ref <- list(name = cs$name, data = file, formula = cs$formula, method = "REML",
              reference = sprintf("R %s, lme4 %s, lmerTest %s, pbkrtest %s: anova(type = 3)",
                                  getRversion(), packageVersion("lme4"),
                                  packageVersion("lmerTest"), packageVersion("pbkrtest")),
              rows = nrow(data), theta = getME(fit, "theta"), sigma = sigma(fit),
              fixed_names = names(fixef(fit)),
              satterthwaite = anova_rows(a_sat), kenward_roger = anova_rows(a_kr),
              hypotheses = hypotheses,
              joint = list(satterthwaite = anova_rows(joint_sat)[[1]],
                           kenward_roger = anova_rows(joint_kr)[[1]]))
  writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE, matrix = "rowmajor"),
             file.path(out, paste0("type3_", cs$name, ".json")))
  cat(cs$name, nrow(data), "rows done\n")
}
