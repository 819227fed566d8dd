-- wrk script: sends the JSON in the BODY environment variable with METHOD (default POST).
wrk.method = os.getenv("METHOD") or "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BODY")
