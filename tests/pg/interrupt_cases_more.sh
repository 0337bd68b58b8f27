# interrupt_cases_more.sh — more cases of interrupt_proof.sh (sourced by it; uses its helpers:
# q, start_psql, run_psql, crash, wait_for, expect_eq, compare_schema, compare_data,
# check_no_helpers, show_log, ok, fail, die). See the case list in interrupt_proof.sh.
# shellcheck shell=bash disable=SC2154

case_update_counter() {
  local total changed
  total=$(q "$db_safe" "SELECT count(*) FROM t")
  pg_run "$db_naive" "$fixture/input.sql" >"$work/naive.log" 2>&1 || { show_log "$work/naive.log"; die "the naive UPDATE does not run"; }
  local want
  want=$(q "$db_naive" "SELECT count(*) FROM t WHERE note = 'seen'")

  # 1. the deploy, killed once a few batches have committed
  start_psql _up "$db_safe" "$work/up.sql" "$work/run1.log"
  local pid=$bg_pid
  changed_some() {
    local c
    c=$(q "$db_safe" "SELECT count(*) FROM t WHERE note = 'seen'" 2>/dev/null) || return 1
    [[ $c -ge 700 ]]
  }
  wait_for "a few batches" 40 "$pid" changed_some ||
    { show_log "$work/run1.log"; die "the UPDATE never got under way, or finished before it could be interrupted"; }
  crash "$pid" _up terminate
  echo "interrupt_proof: deploy killed; its output: $work/run1.log"

  # 2. the partial state
  changed=$(q "$db_safe" "SELECT count(*) FROM t WHERE note = 'seen'")
  if [[ $changed -gt 0 && $changed -lt $want ]]; then
    ok "partial state after the crash: $changed of $want rows changed"
  else
    die "the state after the crash is not partial: $changed of $want rows changed"
  fi
  local progress
  progress=$(q "$db_safe" "SELECT CASE WHEN to_regclass('public.mkmig_backfill') IS NULL THEN 'no progress table'
                                ELSE (SELECT coalesce(max(rows_done)::text, 'no progress row') FROM public.mkmig_backfill) END")
  expect_eq "the progress row counts exactly the committed rows" "$progress" "$changed"

  # 3. the same script again, to the end
  if run_psql _rerun "$db_safe" "$work/up.sql" "$work/run2.log"; then
    ok "the rerun of the same up script completed"
  else
    show_log "$work/run2.log"
    die "the rerun of the up script failed: $work/run2.log"
  fi
  if grep -q 'resuming backfill' "$work/run2.log"; then
    ok "the rerun resumed after the recorded key"
  else
    fail "the rerun did not resume (no 'resuming backfill' notice in $work/run2.log)"
  fi

  # 4. exactly the naive data: n + 1 once on every matching row, never n + 2
  compare_schema "the rerun"
  local dn ds
  dn=$(q "$db_naive" "SELECT count(*) || ' ' || md5(string_agg(k || '|' || n || '|' || coalesce(note, 'NULL'), ',' ORDER BY k)) FROM t")
  ds=$(q "$db_safe" "SELECT count(*) || ' ' || md5(string_agg(k || '|' || n || '|' || coalesce(note, 'NULL'), ',' ORDER BY k)) FROM t")
  expect_eq "data equal the naive UPDATE's (rows md5)" "$ds" "$dn"
  check_no_helpers "$db_safe"
}

case_reindex_concurrently() {
  pg_run "$db_naive" "$fixture/input.sql" >"$work/naive.log" 2>&1 || { show_log "$work/naive.log"; die "the naive REINDEX does not run"; }
  PGAPPNAME="${app}_holder" psql -X -q -d "$db_safe" \
    -c "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM t; SELECT pg_sleep(150); COMMIT;" \
    >"$work/holder.log" 2>&1 &
  local holder=$!
  bg_pids+=("$holder")
  holder_has_snapshot() {
    [[ $(q postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name = '${app}_holder' AND backend_xmin IS NOT NULL") == 1 ]]
  }
  wait_for "the holder's snapshot" 20 "$holder" holder_has_snapshot || { show_log "$work/holder.log"; die "the holder transaction did not start"; }
  start_psql _up "$db_safe" "$work/up.sql" "$work/run1.log"
  local pid=$bg_pid
  reindex_waits() {
    [[ $(q postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name = '${app}_up'
                       AND wait_event_type = 'Lock' AND query ~* 'REINDEX INDEX CONCURRENTLY'") == 1 ]]
  }
  wait_for "REINDEX CONCURRENTLY to wait for the older transaction" 40 "$pid" reindex_waits ||
    { show_log "$work/run1.log"; die "REINDEX CONCURRENTLY never waited for the holder"; }
  crash "$pid" _up cancel
  echo "interrupt_proof: deploy killed and its REINDEX CONCURRENTLY cancelled; its output: $work/run1.log"
  local leftovers="SELECT coalesce(string_agg(c.relname || '=' || CASE WHEN i.indisvalid THEN 'valid' ELSE 'invalid' END, ',' ORDER BY c.relname), '')
                     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 't'::regclass"
  local before
  before=$(q "$db_safe" "$leftovers")
  if [[ $before == *_cc*=invalid* ]]; then
    ok "the cancelled REINDEX CONCURRENTLY left an INVALID index ($before)"
  else
    fail "no INVALID _ccnew/_ccold after the cancel: $before"
  fi
  end_backends "${app}_holder" terminate || die "the holder session did not end"
  wait "$holder" 2>/dev/null || true
  if run_psql _rerun "$db_safe" "$work/up.sql" "$work/run2.log"; then
    ok "the rerun of the same up script completed"
  else
    show_log "$work/run2.log"
    die "the rerun of the up script failed: $work/run2.log"
  fi
  if grep -q 'dropping INVALID indexes left by an interrupted REINDEX CONCURRENTLY' "$work/run2.log"; then
    ok "the rerun dropped the INVALID leftover"
  else
    fail "the rerun did not drop the leftover (no notice in $work/run2.log)"
  fi
  expect_eq "indexes of t after the rerun" "$(q "$db_safe" "$leftovers")" "t_email_key=valid,t_pkey=valid"
  compare_schema "the rerun"
  compare_data "the rerun"
  check_no_helpers "$db_safe"
}

case_detach_concurrently() {
  pg_run "$db_naive" "$fixture/input.sql" >"$work/naive.log" 2>&1 || { show_log "$work/naive.log"; die "the naive DETACH does not run"; }
  PGAPPNAME="${app}_holder" psql -X -q -d "$db_safe" \
    -c "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM measurements; SELECT pg_sleep(150); COMMIT;" \
    >"$work/holder.log" 2>&1 &
  local holder=$!
  bg_pids+=("$holder")
  holder_has_snapshot() {
    [[ $(q postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name = '${app}_holder' AND backend_xmin IS NOT NULL") == 1 ]]
  }
  wait_for "the holder's snapshot" 20 "$holder" holder_has_snapshot || { show_log "$work/holder.log"; die "the holder transaction did not start"; }
  start_psql _up "$db_safe" "$work/up.sql" "$work/run1.log"
  local pid=$bg_pid
  pending() {
    [[ $(q "$db_safe" "SELECT count(*) FROM pg_inherits WHERE inhrelid = 'measurements_2023'::regclass AND inhdetachpending") == 1 ]]
  }
  wait_for "the detach to be pending" 40 "$pid" pending ||
    { show_log "$work/run1.log"; die "DETACH CONCURRENTLY never reached its waiting phase"; }
  sleep 0.3
  crash "$pid" _up cancel
  echo "interrupt_proof: deploy killed and its DETACH CONCURRENTLY cancelled; its output: $work/run1.log"
  if pending; then ok "the partition is pending detach after the cancel"; else fail "the partition is not pending detach after the cancel"; fi
  end_backends "${app}_holder" terminate || die "the holder session did not end"
  wait "$holder" 2>/dev/null || true
  if run_psql _rerun "$db_safe" "$work/up.sql" "$work/run2.log"; then
    ok "the rerun of the same up script completed"
  else
    show_log "$work/run2.log"
    die "the rerun of the up script failed: $work/run2.log"
  fi
  if grep -q 'completing the interrupted detach' "$work/run2.log"; then
    ok "the rerun completed the pending detach with FINALIZE"
  else
    fail "the rerun did not complete the pending detach (no notice in $work/run2.log)"
  fi
  compare_schema "the rerun"
  compare_data "the rerun"
  check_no_helpers "$db_safe"
}

# update_key: UPDATE t SET k = k + 100000, n = n + 1 (the SET moves the primary key, and is not
# idempotent) on 20000 rows, batches of 500 over the work table of collected keys. psql is killed
# once some batches have committed; the partial state is checked (some rows moved, the progress
# row counts exactly the moved rows, the work table still there); the same script is run again:
# it finds the collected keys, resumes after the recorded key, and every row ends exactly as the
# naive UPDATE left it (no key moved twice, none skipped), with no helper object left.
case_update_key() {
  pg_run "$db_naive" "$fixture/input.sql" >"$work/naive.log" 2>&1 || { show_log "$work/naive.log"; die "the naive UPDATE does not run"; }
  local want changed
  want=$(q "$db_naive" "SELECT count(*) FROM t WHERE note = 'moved'")

  # 1. the deploy, killed once a few batches have committed
  start_psql _up "$db_safe" "$work/up.sql" "$work/run1.log"
  local pid=$bg_pid
  moved_some() {
    local c
    c=$(q "$db_safe" "SELECT count(*) FROM t WHERE k > 100000" 2>/dev/null) || return 1
    [[ $c -ge 700 ]]
  }
  wait_for "a few batches" 40 "$pid" moved_some ||
    { show_log "$work/run1.log"; die "the UPDATE never got under way, or finished before it could be interrupted"; }
  crash "$pid" _up terminate
  echo "interrupt_proof: deploy killed; its output: $work/run1.log"

  # 2. the partial state
  changed=$(q "$db_safe" "SELECT count(*) FROM t WHERE note = 'moved'")
  if [[ $changed -gt 0 && $changed -lt $want ]]; then
    ok "partial state after the crash: $changed of $want rows moved"
  else
    die "the state after the crash is not partial: $changed of $want rows moved"
  fi
  expect_eq "the moved rows are exactly the rows with a new key" \
    "$(q "$db_safe" "SELECT count(*) FROM t WHERE k > 100000")" "$changed"
  expect_eq "the progress row counts exactly the committed rows" \
    "$(q "$db_safe" "SELECT coalesce(max(rows_done)::text, 'no progress row') FROM public.mkmig_backfill")" "$changed"
  expect_eq "the work table of collected keys is still there" \
    "$(q "$db_safe" "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname ~ '^mkmig_work_'")" "1"

  # 3. the same script again, to the end
  if run_psql _rerun "$db_safe" "$work/up.sql" "$work/run2.log"; then
    ok "the rerun of the same up script completed"
  else
    show_log "$work/run2.log"
    die "the rerun of the up script failed: $work/run2.log"
  fi
  if grep -q 'keys already collected' "$work/run2.log" && grep -q 'resuming backfill' "$work/run2.log"; then
    ok "the rerun kept the collected keys and resumed after the recorded key"
  else
    fail "the rerun did not resume over the collected keys (notices in $work/run2.log)"
  fi

  # 4. exactly the naive data: every selected key moved once, never twice, none left behind
  compare_schema "the rerun"
  local dn ds
  dn=$(q "$db_naive" "SELECT count(*) || ' ' || md5(string_agg(k || '|' || n || '|' || coalesce(note, 'NULL'), ',' ORDER BY k)) FROM t")
  ds=$(q "$db_safe" "SELECT count(*) || ' ' || md5(string_agg(k || '|' || n || '|' || coalesce(note, 'NULL'), ',' ORDER BY k)) FROM t")
  expect_eq "data equal the naive UPDATE's (rows md5)" "$ds" "$dn"
  check_no_helpers "$db_safe"
}
