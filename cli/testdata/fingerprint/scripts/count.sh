# Counts the temperatures of a table (exec's fingerprint: a user's command, in sh).
n=$(($(wc -l < inputs/meta.csv) - 1))
printf '{"temperatures": %d}\n' "$n" > outputs/summary.json
