# Makes libs/mmm-core/test/fixtures/robyn-glmnet-excerpt.json, the always-on reference for
# the Robyn-compatible mode of the candidate evaluator.
#
# From the shared peer files (../shared/peers/robyn/data, relative to the repo root) it takes
# an excerpt: the first 78 weeks of Robyn's design (design_robyn_dt_mod.csv: dep_var, prophet
# trend and season, controls, raw spends) and 20 of Robyn's 2000 candidate hyperparameter
# vectors (robyn_candidates_n2000.csv). For each candidate it computes what Robyn's
# robyn_mmm() computes (R/R/transformation.R and R/R/model.R at 3.12.1): geometric adstock over
# all rows, Hill with inflexion = gamma * max(adstocked), coefficient limits by position
# (prophet [0, 1], controls free, media >= 0), lambda from lambda_hp on Robyn's lambda_max
# rule, glmnet(alpha = 0) with the non-negative-intercept refit, NRMSE, DECOMP.RSSD with the
# zero penalty, adjusted R^2. glmnet is the real one (R package glmnet).
#
# Case "shifted" subtracts 1,450,000 from dep_var so that the intercept comes out negative
# and Robyn's refit without intercept is exercised (the 2000 shared candidates never hit it).
#
# Run from the repository root:  Rscript libs/mmm-core/scripts/make-robyn-fixture.R
suppressPackageStartupMessages({
  library(glmnet)
  library(jsonlite)
})

shared <- normalizePath(file.path(getwd(), "..", "shared", "peers", "robyn", "data"))
design <- read.csv(file.path(shared, "design_robyn_dt_mod.csv"))
cands <- read.csv(file.path(shared, "robyn_candidates_n2000.csv"), check.names = FALSE)
rows <- 78
design <- design[seq_len(rows), ]
media <- c("tv", "radio", "ooh", "print", "search", "social", "display", "video")
baseline <- c("trend", "season", "promo", "price_index")
picked <- c(seq(1, 2000, by = 100), 1283)[1:20]

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

run_case <- function(name, y) {
  raw <- as.matrix(design[, c(baseline, media)])
  lmax <- lambda_max_robyn(raw, y)
  lmin <- lmax * 1e-4
  trend_sum <- sum(design$trend)
  lower <- c(if (trend_sum < 0) -1 else 0, 0, -Inf, -Inf, rep(0, length(media)))
  upper <- c(if (trend_sum < 0) 0 else 1, 1, Inf, Inf, rep(Inf, length(media)))
  out <- list()
  for (i in picked) {
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
    params <- as.list(cand[, c(as.vector(outer(media, c("_thetas", "_alphas", "_gammas"), paste0)))])
    out[[length(out) + 1]] <- list(
      solID = cand$solID, params = params, lambda_hp = cand$lambda_hp, lambda = lambda,
      nrmse = nrmse, decomp_rssd = rssd, rsq_train = rsq_adj,
      intercept = coefs[1], intercept_dropped = df_int == 0, coefficients = coefs[-1]
    )
  }
  list(name = name, lambda_max = lmax, kpi = y, candidates = out)
}

fixture <- list(
  source = paste(
    "Excerpt of ../shared/peers/robyn/data (design_robyn_dt_mod.csv rows 1-78,",
    "20 candidates of robyn_candidates_n2000.csv); numbers computed by",
    "libs/mmm-core/scripts/make-robyn-fixture.R with glmnet",
    as.character(packageVersion("glmnet"))
  ),
  rows = rows,
  media = media,
  baseline = baseline,
  columns = lapply(as.list(design[, c(baseline, media)]), identity),
  cases = list(
    run_case("as_is", design$dep_var),
    run_case("shifted", design$dep_var - 1.45e6)
  )
)
dir.create("libs/mmm-core/test/fixtures", showWarnings = FALSE, recursive = TRUE)
writeLines(
  toJSON(fixture, auto_unbox = TRUE, digits = NA, pretty = FALSE),
  "libs/mmm-core/test/fixtures/robyn-glmnet-excerpt.json"
)
# The repository formats JSON with prettier; format the fixture the same way.
system("npx prettier --write libs/mmm-core/test/fixtures/robyn-glmnet-excerpt.json")
cat("wrote libs/mmm-core/test/fixtures/robyn-glmnet-excerpt.json\n")
