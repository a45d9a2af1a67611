"""Reading wrk's figures."""

import pytest

from chat_contract.bench.load import Request, _lua, parse_wrk

WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:8000/api/v1/conversations
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.12ms    2.01ms  31.00ms   90.00%
    Req/Sec     3.20k   100.00     3.40k    80.00%
  Latency Distribution
     50%    9.80ms
     75%   10.50ms
     90%   12.00ms
     99%  750.00us
  9600 requests in 3.00s, 10.00MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 5
Requests/sec:   3200.50
Transfer/sec:      3.33MB
"""


def test_parse_wrk_reads_throughput_percentiles_and_errors():
    result = parse_wrk(WRK_OUTPUT)
    assert result.requests_per_second == 3200.50
    assert result.p50_ms == 9.80
    assert result.p99_ms == 0.75
    assert (result.requests, result.non_2xx, result.errors) == (9600, 5, 3)


def test_parse_wrk_refuses_output_without_figures():
    with pytest.raises(ValueError, match="unexpected wrk output"):
        parse_wrk("wrk: connection refused\n")


def test_lua_script_escapes_the_request():
    script = _lua(Request(method="POST", url="http://x", headers={"A": 'q"uote'}, body='{"a": "b\\n"}'))
    assert 'wrk.method = "POST"' in script
    assert 'wrk.headers["A"] = "q\\"uote"' in script
    assert 'wrk.body = "{\\"a\\": \\"b\\\\n\\"}"' in script
