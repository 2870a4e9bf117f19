# Simulated data sets of the cross-validation references (scripts/crossval_references.R, which
# sources this file from the repository root with `out` set): rounded, written to
# tests/data/crossval/*.csv and read back by the fits, so that R and lmmgpu fit the same numbers.
# Each block draws from a fixed seed; blocks added later reseed so earlier data stay the same.

write_data <- function(d, file) write.csv(d, file.path(out, file), row.names = FALSE)
ranef_of <- function(g, sd) {
  u <- rnorm(length(unique(g)), sd = sd)
  u[as.integer(factor(g, levels = unique(g)))]
}

set.seed(20261121)
# Three-level nesting: 6 a x 4 b x 3 c x 2 rows; b and c labels repeat across parents.
d <- expand.grid(rep = 1:2, c = sprintf("c%d", 1:3), b = sprintf("b%d", 1:4),
                 a = sprintf("A%d", 1:6), stringsAsFactors = FALSE)
d <- d[-c(5, 40, 41, 77, 100, 101, 102, 130), ]  # a little unbalance
n <- nrow(d)
d$x <- round(runif(n, 0, 4), 2)
ab <- paste(d$a, d$b)
abc <- paste(ab, d$c)
d$y <- round(10 + 0.8 * d$x + ranef_of(d$a, 1.5) + ranef_of(d$a, 0.4) * d$x +
               ranef_of(ab, 1) + ranef_of(abc, 0.7) + rnorm(n, sd = 0.8), 3)
write_data(d[, c("y", "x", "a", "b", "c")], "nested.csv")

# Partially crossed g (24) x h (10): each cell present with probability 0.55, 1-3 rows.
cells <- expand.grid(g = sprintf("g%02d", 1:24), h = sprintf("h%02d", 1:10), stringsAsFactors = FALSE)
cells <- cells[runif(nrow(cells)) < 0.55, ]
d <- cells[rep(seq_len(nrow(cells)), sample(1:3, nrow(cells), replace = TRUE)), ]
n <- nrow(d)
d$x <- round(rnorm(n, 1, 1), 3)
d$y <- round(5 + 1.2 * d$x + ranef_of(d$g, 1.2) + ranef_of(d$g, 0.5) * d$x +
               ranef_of(d$h, 0.8) + ranef_of(d$h, 0.3) * d$x + rnorm(n, sd = 1), 3)
write_data(d[, c("y", "x", "g", "h")], "crossed.csv")

# Very unbalanced: 140 clusters, 60% singletons, a few with 20-40 rows.
sizes <- c(rep(1, 84), sample(2:5, 46, replace = TRUE), sample(20:40, 10, replace = TRUE))
d <- data.frame(g = sprintf("k%03d", rep(seq_along(sizes), sample(sizes))))
n <- nrow(d)
d$x <- round(rnorm(n), 3)
d$y <- round(2 - 0.5 * d$x + ranef_of(d$g, 0.9) + ranef_of(d$g, 0.4) * d$x + rnorm(n, sd = 1), 3)
write_data(d, "unbalanced.csv")

# Two correlated slopes: 30 groups x 5-10 rows.
d <- data.frame(g = sprintf("s%02d", rep(1:30, sample(5:10, 30, replace = TRUE))))
n <- nrow(d)
d$x1 <- round(runif(n, -1, 2), 3)
d$x2 <- round(rnorm(n), 3)
u <- MASS::mvrnorm(30, c(0, 0, 0), matrix(c(1, 0.3, -0.2, 0.3, 0.5, 0.1, -0.2, 0.1, 0.3), 3))
gi <- as.integer(factor(d$g))
d$y <- round(3 + u[gi, 1] + (0.7 + u[gi, 2]) * d$x1 + (-0.4 + u[gi, 3]) * d$x2 +
               rnorm(n, sd = 0.6), 3)
write_data(d, "slopes.csv")

# Factors with interactions: f1 (3) x f2 (2) unbalanced, numeric x, 15 groups.
d <- data.frame(g = sprintf("p%02d", rep(1:15, sample(6:12, 15, replace = TRUE))))
n <- nrow(d)
d$f1 <- sample(c("lo", "mid", "hi"), n, replace = TRUE, prob = c(0.5, 0.3, 0.2))
d$f2 <- sample(c("no", "yes"), n, replace = TRUE, prob = c(0.6, 0.4))
d$x <- round(runif(n, 0, 5), 2)
d$y <- round(20 + 2 * (d$f1 == "mid") - 1 * (d$f1 == "hi") + 1.5 * (d$f2 == "yes") +
               1.1 * (d$f1 == "hi" & d$f2 == "yes") + (0.3 + 0.2 * (d$f1 == "mid")) * d$x +
               ranef_of(d$g, 1.3) + ranef_of(d$g, 0.25) * d$x + rnorm(n, sd = 1.2), 3)
# Rank-deficient X: x3 = x1 - 2 x2 exactly (integers); large offsets 1e6 + x.
d$x1 <- sample(0:9, n, replace = TRUE)
d$x2 <- sample(-3:3, n, replace = TRUE)
d$x3 <- d$x1 - 2 * d$x2
d$xbig <- 1e6 + d$x
d$x50 <- 50 + d$x  # as an age in years, uncentred
write_data(d, "factors.csv")

# Boundary fits: no between-group variance (singular); perfectly correlated intercept and slope.
d <- data.frame(g = sprintf("z%02d", rep(1:8, each = 6)))
n <- nrow(d)
d$x <- round(rep(seq(-1, 1, length.out = 6), 8) + rnorm(n, sd = 0.1), 3)
d$y <- round(1 + 0.5 * d$x + rnorm(n, sd = 1), 3)
set.seed(1)  # a draw whose REML and ML fits put the correlation at +1
u <- rnorm(8, sd = 1)
d$y2 <- round(1 + 0.5 * d$x + u[as.integer(factor(d$g))] * (1 + 0.8 * d$x) + rnorm(n, sd = 0.3), 3)
write_data(d, "boundary.csv")

# Tiny: two clusters of 5 rows.
d <- data.frame(g = rep(c("L", "R"), each = 5), x = c(1:5, 1:5))
d$y <- round(1 + 0.3 * d$x + c(-1, 1)[as.integer(factor(d$g))] + rnorm(10, sd = 0.5), 3)
write_data(d, "tiny.csv")

# Sleepstudy with the response scaled by 1e-6 and 1e6 (exact decimal shifts of the same digits).
s <- read.csv(file.path(shared, "sleepstudy.csv"))
s$Reaction_small <- sprintf("%se-6", as.character(s$Reaction))
s$Reaction_big <- sprintf("%se6", as.character(s$Reaction))
write_data(s[, c("Reaction_small", "Reaction_big", "Days", "Subject")], "sleepstudy_scaled.csv")

# Missing values: the unbalanced data with NA in y, x and g on some rows (lme4 drops those rows).
d <- read.csv(file.path(out, "unbalanced.csv"))
d$y[c(3, 50, 51, 200)] <- NA
d$x[c(7, 51, 90)] <- NA
d$g[c(12, 300)] <- NA
write_data(d, "unbalanced_na.csv")
# Rows lost to NA take away a whole group and a whole cell of f1 x f2 (its column is then all 0
# and dropped, as the empty cell of an unbalanced design).
d <- read.csv(file.path(out, "factors.csv"))
d$y[d$g == "p03" | (d$f1 == "hi" & d$f2 == "yes")] <- NA
write_data(d[, c("y", "f1", "f2", "x", "g")], "factors_na.csv")

# Larger nesting, so that the Schur complement of the terms after the largest has >= 256 rows and
# lmmgpu's CPU engine may factor it by its supernodal sparse Cholesky: 40 a x 8 b x 3 c x 2 rows.
set.seed(7)
d <- expand.grid(rep = 1:2, c = sprintf("c%d", 1:3), b = sprintf("b%d", 1:8),
                 a = sprintf("A%02d", 1:40), stringsAsFactors = FALSE)
d <- d[runif(nrow(d)) > 0.15, ]
n <- nrow(d)
d$x <- round(rnorm(n), 3)
ab <- paste(d$a, d$b)
d$y <- round(3 + 0.5 * d$x + ranef_of(d$a, 1) + ranef_of(d$a, 0.3) * d$x + ranef_of(ab, 0.8) +
               ranef_of(paste(ab, d$c), 0.5) + rnorm(n, sd = 0.7), 3)
write_data(d[, c("y", "x", "a", "b", "c")], "nested_big.csv")

# Boundary with the intercept variance near 0 and a random slope (lme4's best fit: theta_1 = 0.008,
# the correlation at +1).
d <- read.csv(file.path(out, "boundary.csv"))
set.seed(2)
u <- rnorm(8)
d$y3 <- round(1 + 0.5 * d$x + u[as.integer(factor(d$g))] * d$x + rnorm(nrow(d), sd = 0.5), 3)
write_data(d, "boundary.csv")

# Mixed-case labels, whose order differs between byte order (R with LC_COLLATE=C, lmmgpu: Banana,
# apple, cherry) and a UTF-8 locale's collation (R's default here and on most desktops: apple,
# Banana, cherry), so that the reference level of the treatment contrasts differs too.
d <- read.csv(file.path(out, "factors.csv"))
d$fruit <- c(lo = "apple", mid = "Banana", hi = "cherry")[d$f1]
write_data(d[, c("y", "fruit", "x", "g")], "fruit.csv")
