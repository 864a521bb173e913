# Makes libs/mmm-core/test/fixtures/robyn-glmnet-synthetic.json, the always-on reference for
# the Robyn-compatible mode (ridgeSolver 'glmnet') of the candidate evaluator.
#
# Rerun, from the repository root (needs R with the packages glmnet and jsonlite, and node):
#
#   npx tsc --build libs/mmm-core
#   Rscript libs/mmm-core/scripts/make-robyn-fixture.R
#
# Input: no shared or third-party data. write-robyn-design.js (next to this script) writes the
# project's own seeded synthetic dataset (generateSyntheticDataset with the options below) to a
# temporary CSV laid out like Robyn's dt_mod: dep_var, trend and season (stand-ins for prophet's,
# in KPI units), the controls promo and price_index, and the raw spends of 8 channels. The
# fixture keeps only the generator's options, a fingerprint of the table (column sums) and the
# reference numbers; the test regenerates the table from the seed.
#
# Candidates: 20 hyperparameter vectors drawn here with set.seed(), in the ranges of Robyn's
# demo (thetas by channel type, alphas [0.5, 3], gammas [0.3, 1]; lambda_hp in [0, 1], skewed
# towards 0).
#
# Numbers: what Robyn's robyn_mmm() computes (R/R/transformation.R and R/R/model.R at 3.12.1;
# see ROBYN_CORE.md in the shared peers folder): geometric adstock over all rows, Hill with
# inflexion = gamma * max(adstocked), coefficient limits by position (trend and season [0, 1],
# controls free, media >= 0), lambda from lambda_hp on Robyn's lambda_max rule, glmnet(alpha = 0)
# with the non-negative-intercept refit, NRMSE, DECOMP.RSSD with the zero penalty, adjusted R^2.
# glmnet is the real one (R package glmnet).
#
# Case "shifted" moves dep_var down by 1.5 x its mean so that the intercept comes out negative
# and Robyn's refit without intercept is exercised.
suppressPackageStartupMessages({
  library(glmnet)
  library(jsonlite)
})

# spendPlan and channelPreset pinned to the earlier plan and channel set: this table is the one
# the fixture was first made on.
generator <- list(seed = 7, periods = 78, spendPlan = "log-ar1", channelPreset = "hard")
csv <- tempfile(fileext = ".csv")
status <- system2("node", c(
  "libs/mmm-core/scripts/write-robyn-design.js",
  shQuote(toJSON(generator, auto_unbox = TRUE)), shQuote(csv)
))
if (status != 0) stop("write-robyn-design.js failed (run npx tsc --build libs/mmm-core first?)")
design <- read.csv(csv)
unlink(csv)
rows <- nrow(design)
media <- c("tv", "radio", "ooh", "print", "search", "social", "display", "video")
baseline <- c("trend", "season", "promo", "price_index")
stopifnot(rows == generator$periods, all(c("dep_var", baseline, media) %in% names(design)))

# Robyn demo ranges for thetas: TV long, print/OOH/radio medium, digital short.
theta_range <- list(
  tv = c(0.3, 0.8), radio = c(0.1, 0.4), ooh = c(0.1, 0.4), print = c(0.1, 0.4),
  search = c(0, 0.3), social = c(0, 0.3), display = c(0, 0.3), video = c(0, 0.3)
)
set.seed(20261124)
n_cands <- 20
draw <- function(lo, hi) signif(runif(n_cands, lo, hi), 10)
cands <- data.frame(solID = sprintf("syn_%02d", seq_len(n_cands)))
for (m in media) {
  cands[[paste0(m, "_thetas")]] <- draw(theta_range[[m]][1], theta_range[[m]][2])
  cands[[paste0(m, "_alphas")]] <- draw(0.5, 3)
  cands[[paste0(m, "_gammas")]] <- draw(0.3, 1)
}
# Cubed: most candidates in the weakly penalised corner the search ends up in, some heavily.
cands$lambda_hp <- signif(runif(n_cands)^3, 10)

adstock_geometric <- function(x, theta) {
  d <- x
  if (length(x) > 1) for (t in 2:length(x)) d[t] <- x[t] + theta * d[t - 1]
  d
}
hill <- function(x, alpha, gamma) {
  inflexion <- gamma * max(x)
  x^alpha / (x^alpha + inflexion^alpha)
}
lambda_max_robyn <- function(x, y) {
  mysd <- function(v) sqrt(sum((v - mean(v))^2) / length(v))
  sx <- scale(x, scale = apply(x, 2, mysd))
  sx[is.nan(sx)] <- 0
  0.1 * max(abs(colSums(sx * y))) / (0.001 * nrow(x))
}

run_case <- function(name, shift) {
  y <- design$dep_var - shift
  raw <- as.matrix(design[, c(baseline, media)])
  lmax <- lambda_max_robyn(raw, y)
  lmin <- lmax * 1e-4
  trend_sum <- sum(design$trend)
  lower <- c(if (trend_sum < 0) -1 else 0, 0, -Inf, -Inf, rep(0, length(media)))
  upper <- c(if (trend_sum < 0) 0 else 1, 1, Inf, Inf, rep(Inf, length(media)))
  out <- list()
  for (i in seq_len(nrow(cands))) {
    cand <- cands[i, ]
    sat <- sapply(media, function(m) {
      hill(adstock_geometric(design[[m]], cand[[paste0(m, "_thetas")]]),
           cand[[paste0(m, "_alphas")]], cand[[paste0(m, "_gammas")]])
    })
    x <- cbind(as.matrix(design[, baseline]), sat)
    lambda <- lmin + (lmax - lmin) * cand$lambda_hp
    fit <- function(intercept) glmnet(x, y, family = "gaussian", alpha = 0, lambda = lambda,
                                      lower.limits = lower, upper.limits = upper,
                                      intercept = intercept)
    mod <- fit(TRUE)
    df_int <- 1
    if (coef(mod)[1] < 0) {
      mod <- fit(FALSE)
      df_int <- 0
    }
    coefs <- as.vector(coef(mod))
    pred <- as.vector(predict(mod, s = lambda, newx = x))
    nrmse <- sqrt(mean((y - pred)^2)) / (max(y) - min(y))
    rsq <- 1 - sum((pred - y)^2) / sum((y - mean(y))^2)
    rsq_adj <- 1 - (1 - rsq) * ((rows - df_int) / (rows - ncol(x) - 1))
    effect <- coefs[-(1:(1 + length(baseline)))] * colSums(sat)
    spend <- colSums(design[, media])
    effect_share <- effect / sum(effect)
    spend_share <- spend / sum(spend)
    rssd <- sqrt(sum((effect_share - spend_share)^2))
    rssd <- rssd * (1 + sum(round(effect_share, 4) == 0) / length(media))
    if (is.nan(rssd)) rssd <- Inf
    params <- as.list(cand[, as.vector(outer(media, c("_thetas", "_alphas", "_gammas"), paste0))])
    out[[length(out) + 1]] <- list(
      solID = cand$solID, params = params, lambda_hp = cand$lambda_hp, lambda = lambda,
      nrmse = nrmse, decomp_rssd = rssd, rsq_train = rsq_adj,
      intercept = coefs[1], intercept_dropped = df_int == 0, coefficients = coefs[-1]
    )
  }
  cat(sprintf("case %s: %d of %d candidates refit without intercept\n", name,
              sum(sapply(out, function(o) o$intercept_dropped)), length(out)))
  list(name = name, kpi_shift = shift, lambda_max = lmax, candidates = out)
}

fixture <- list(
  source = paste(
    "Seeded synthetic data (generateSyntheticDataset), hyperparameters drawn with set.seed;",
    "numbers computed by libs/mmm-core/scripts/make-robyn-fixture.R with Robyn's formulas",
    "and glmnet", as.character(packageVersion("glmnet"))
  ),
  generator = generator,
  media = media,
  baseline = baseline,
  # Sums of the generated columns: the test checks them first, so that a change to the
  # generator reads as "regenerate the fixture", not as a fidelity failure.
  column_sums = lapply(as.list(design[, c("dep_var", baseline, media)]), sum),
  cases = list(
    run_case("as_is", 0),
    run_case("shifted", 1.5 * mean(design$dep_var))
  )
)
out <- "libs/mmm-core/test/fixtures/robyn-glmnet-synthetic.json"
dir.create(dirname(out), showWarnings = FALSE, recursive = TRUE)
writeLines(toJSON(fixture, auto_unbox = TRUE, digits = NA, pretty = FALSE), out)
# The repository formats JSON with prettier; format the fixture the same way.
system(paste("npx prettier --write", out))
cat("wrote", out, "\n")
