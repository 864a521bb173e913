# Makes libs/mmm-core/test/fixtures/robyn-glmnet-synthetic.json, the always-on reference for
# the Robyn-compatible mode (ridgeSolver 'glmnet') of the candidate evaluator.
#
# Rerun, from the repository root (needs node, R with the packages Robyn imports that the
# functions below use (glmnet, dplyr, jsonlite among them), and a Robyn snapshot):
#
#   npx tsc --build libs/mmm-core
#   ROBYN_SRC=/tmp/robyn-src Rscript libs/mmm-core/scripts/make-robyn-fixture.R
#
# ROBYN_SRC (default /tmp/robyn-src) is an extracted checkout of facebookexperimental/Robyn
# (3.12.1 at commit 5915aa9d for the fixture in the repository): its R package is
# $ROBYN_SRC/R (DESCRIPTION, NAMESPACE, R/*.R). No Robyn code is in this repository: the
# script sys.source()s the package's R files at run time into a private environment whose
# parent holds what Robyn's NAMESPACE imports (import / importFrom of the installed
# packages), as the package namespace would, and calls Robyn's functions from there.
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
# Numbers: one candidate as Robyn's robyn_mmm() evaluates it (R/R/model.R, robyn_iterations).
# Robyn's own code, called from the snapshot:
# - run_transformations() (R/R/transformation.R): adstock_geometric over all rows and
#   saturation_hill with inflexion = gamma * max(adstocked), total, immediate and carryover;
# - lambda_seq() (R/R/model.R): the lambda path whose maximum sets lambda_max;
# - model_refit() (R/R/model.R): glmnet(alpha = 0) with the non-negative-intercept refit,
#   predictions, NRMSE and adjusted R^2 (get_rsq, R/R/auxiliary.R);
# - model_decomp() (R/R/model.R): the decomposition whose xDecompPerc gives the effect shares.
# glmnet is the real one (R package glmnet).
# Restated here, because robyn_mmm() computes them inline rather than in a function one can
# call (each follows the lines of robyn_mmm() at 3.12.1 named beside it below): lambda_max =
# 0.1 x max(lambda_seq) and lambda = lambda_min + (lambda_max - lambda_min) x lambda_hp; the
# coefficient limits by position (trend and season [0, 1], or [-1, 0] for a falling trend;
# controls free; media >= 0); spend shares; DECOMP.RSSD with the zero-effect penalty.
# Ours, not Robyn's: the data and candidates above, the frame layout (a ds column of weekly
# dates, which robyn_inputs() would build), magrittr's %>% where lares (which re-exports it)
# is not installed, as.matrix() for lares::ohse() (one-hot encoding of factors; this table
# has none) and the JSON output.
#
# Case "shifted" moves dep_var down by 1.5 x its mean so that the intercept comes out negative
# and Robyn's refit without intercept is exercised.
suppressPackageStartupMessages(library(jsonlite))

# Robyn's package, loaded from the snapshot: imports first, then its R files.
robyn_pkg <- file.path(Sys.getenv("ROBYN_SRC", "/tmp/robyn-src"), "R")
if (!file.exists(file.path(robyn_pkg, "DESCRIPTION")) ||
    !file.exists(file.path(robyn_pkg, "NAMESPACE"))) {
  stop("no Robyn package at ", robyn_pkg, ": set ROBYN_SRC to an extracted Robyn checkout")
}
robyn_imports <- new.env(parent = .BaseNamespaceEnv)
skipped <- character(0)
for (directive in as.list(parse(file.path(robyn_pkg, "NAMESPACE")))) {
  kind <- as.character(directive[[1]])
  if (!kind %in% c("import", "importFrom")) next
  pkg <- as.character(directive[[2]])
  if (!requireNamespace(pkg, quietly = TRUE)) {
    skipped <- union(skipped, pkg)
    next
  }
  symbols <- if (kind == "import") getNamespaceExports(pkg) else
    vapply(as.list(directive)[-(1:2)], as.character, "")
  for (sym in symbols) assign(sym, getExportedValue(pkg, sym), envir = robyn_imports)
}
if (length(skipped) > 0) {
  cat("Robyn imports not installed (the functions called here do not use them):",
      paste(skipped, collapse = ", "), "\n")
}
# Robyn takes the pipe from lares, which re-exports magrittr's; without lares, magrittr's.
if (!exists("%>%", envir = robyn_imports, inherits = FALSE)) {
  assign("%>%", getExportedValue("magrittr", "%>%"), envir = robyn_imports)
}
robyn <- new.env(parent = robyn_imports)
for (f in list.files(file.path(robyn_pkg, "R"), pattern = "[.]R$", full.names = TRUE)) {
  sys.source(f, envir = robyn, keep.source = FALSE)
}
robyn_version <- read.dcf(file.path(robyn_pkg, "DESCRIPTION"), fields = "Version")[1, 1]

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

run_case <- function(name, shift) {
  # dt_mod as robyn_inputs() lays it out, a tibble: ds, dep_var, prophet terms, controls,
  # media.
  dt_mod <- robyn_imports$as_tibble(data.frame(
    ds = as.Date("2022-01-03") + 7 * (seq_len(rows) - 1),
    dep_var = design$dep_var - shift,
    design[, c(baseline, media)]
  ))
  # robyn_mmm(), "Get lambda".
  lambdas <- robyn$lambda_seq(
    x = dt_mod[, c(baseline, media)], y = dt_mod$dep_var,
    seq_len = 100, lambda_min_ratio = 0.0001
  )
  lmax <- max(lambdas) * 0.1
  lmin <- lmax * 0.0001
  # robyn_iterations(), "Define and set sign control": prophet terms [0, 1] (a falling trend
  # [-1, 0]), controls with sign "default", media with sign "positive".
  trend_sum <- sum(design$trend)
  lower <- c(if (trend_sum < 0) -1 else 0, 0, -Inf, -Inf, rep(0, length(media)))
  upper <- c(if (trend_sum < 0) 0 else 1, 1, Inf, Inf, rep(Inf, length(media)))
  # robyn_mmm(), dt_spendShare over the (whole) window.
  spend <- colSums(design[, media])
  spend_share <- spend / sum(spend)
  out <- list()
  for (i in seq_len(nrow(cands))) {
    cand <- cands[i, ]
    temp <- robyn$run_transformations(
      all_media = media, window_start_loc = 1, window_end_loc = rows,
      dt_mod = dt_mod, adstock = "geometric", dt_hyppar = cand
    )
    y <- temp$dt_modSaturated$dep_var
    x <- as.matrix(temp$dt_modSaturated[, setdiff(names(temp$dt_modSaturated), "dep_var")])
    stopifnot(identical(colnames(x), c(baseline, media)))
    # robyn_iterations(), "Fit ridge regression with nevergrad's lambda".
    lambda <- lmin + (lmax - lmin) * cand$lambda_hp
    mod_out <- robyn$model_refit(
      x_train = x, y_train = y, x_val = NULL, y_val = NULL, x_test = NULL, y_test = NULL,
      lambda = lambda, lower.limits = lower, upper.limits = upper,
      intercept = TRUE, intercept_sign = "non_negative", penalty.factor = rep(1, ncol(x))
    )
    decomp <- robyn$model_decomp(inputs = list(
      coefs = mod_out$coefs, y_pred = mod_out$y_pred,
      dt_modSaturated = temp$dt_modSaturated,
      dt_saturatedImmediate = temp$dt_saturatedImmediate,
      dt_saturatedCarryover = temp$dt_saturatedCarryover,
      dt_modRollWind = dt_mod, refreshAddedStart = dt_mod$ds[1]
    ))
    # robyn_iterations(), "DECOMP.RSSD: Business error" (not a refresh, rssd_zero_penalty).
    agg <- as.data.frame(decomp$xDecompAgg)
    perc <- agg$xDecompPerc[match(media, agg$rn)]
    effect_share <- perc / sum(perc)
    rssd <- sqrt(sum((effect_share - spend_share)^2))
    rssd <- rssd * (1 + sum(round(effect_share, 4) == 0) / length(effect_share))
    if (is.nan(rssd)) rssd <- Inf
    coefs <- as.vector(mod_out$coefs)
    df_int <- mod_out$df.int
    nrmse <- mod_out$nrmse_train
    rsq_adj <- mod_out$rsq_train
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
    "numbers computed by libs/mmm-core/scripts/make-robyn-fixture.R with Robyn", robyn_version,
    "(its functions sourced from a snapshot) and glmnet", as.character(packageVersion("glmnet"))
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
