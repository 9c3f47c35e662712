# frozen_string_literal: true

# Copyright otelcol-tasker authors
# SPDX-License-Identifier: Apache-2.0
#
# ruby forwarder_test.rb: the forwarder against a scripted HTTP server on 127.0.0.1
# (answers 503, 429, 400, 200 as told; records what it received).

require 'minitest/autorun'
require 'socket'
require 'bigdecimal'
require_relative 'fake_tasker'
require_relative '../tasker_forwarder'

# ScriptedServer answers each request with the next status of its script (then 200).
class ScriptedServer
  attr_reader :requests, :port

  def initialize(script)
    @script = script.dup
    @requests = Queue.new
    @server = TCPServer.new('127.0.0.1', 0)
    @port = @server.addr[1]
    @thread = Thread.new { loop { handle(@server.accept) } rescue IOError }
  end

  def close
    @server.close
    @thread.join(1)
  end

  def handle(sock)
    line = sock.gets or return
    headers = {}
    while (h = sock.gets) && h != "\r\n"
      k, v = h.split(':', 2)
      headers[k.strip.downcase] = v.strip
    end
    body = sock.read(headers['content-length'].to_i)
    code = @script.shift || 200
    @requests << { line: line, headers: headers, body: body, code: code }
    extra = code == 429 ? "Retry-After: 0\r\n" : ''
    resp = code == 200 ? %({"accepted":1,"rejected":0}) : %({"error":"scripted #{code}"})
    sock.write("HTTP/1.1 #{code} X\r\nContent-Type: application/json\r\n#{extra}Content-Length: #{resp.bytesize}\r\nConnection: close\r\n\r\n#{resp}")
  ensure
    sock&.close
  end

  def all
    out = []
    out << @requests.pop until @requests.empty?
    out
  end
end

class ForwarderTest < Minitest::Test
  def config(port, **over)
    env = { 'TASKER_FORWARDER_URL' => "http://127.0.0.1:#{port}/v1/events", 'TASKER_FORWARDER_SECRET' => 'k3y',
            'TASKER_FORWARDER_RETRY_BASE' => '0.01', 'TASKER_FORWARDER_FLUSH_INTERVAL' => '60' }
    over.each { |k, v| env["TASKER_FORWARDER_#{k.upcase}"] = v.to_s }
    TaskerForwarder::Config.from_env(env)
  end

  def gunzip(s)
    Zlib::GzipReader.new(StringIO.new(s)).read
  end

  def test_retries_503_and_429_then_sends_once_signed_and_gzipped
    srv = ScriptedServer.new([503, 429])
    fwd = TaskerForwarder::Forwarder.new(config(srv.port))
    3.times { |i| fwd.push('step.completed', { timestamp: Time.utc(2026, 1, 10, 9, 0, i), task_id: 1, step_id: i }) }
    assert fwd.flush(10)
    reqs = srv.all
    assert_equal [503, 429, 200], reqs.map { |r| r[:code] }
    r = reqs.last
    assert_equal 'gzip', r[:headers]['content-encoding']
    assert_equal 'application/x-ndjson', r[:headers]['content-type']
    body = gunzip(r[:body])
    assert_equal "sha256=#{OpenSSL::HMAC.hexdigest('SHA256', 'k3y', body)}", r[:headers]['x-tasker-signature']
    lines = body.split("\n").map { |l| JSON.parse(l) }
    assert_equal [0, 1, 2], lines.map { |l| l['step_id'] }
    assert_equal %w[event timestamp task_id step_id], lines[0].keys
    assert_equal '2026-01-10T09:00:01.000Z', lines[1]['timestamp']
    assert_equal 3, fwd.stats[:sent]
    assert_equal 2, fwd.stats[:retries]
    assert fwd.shutdown(2)
  ensure
    srv&.close
  end

  def test_final_answer_is_not_retried
    srv = ScriptedServer.new([400])
    fwd = TaskerForwarder::Forwarder.new(config(srv.port, gzip: false))
    fwd.push('task.completed', { task_id: 1 })
    assert fwd.flush(10)
    assert_equal [400], srv.all.map { |r| r[:code] }
    assert_equal 1, fwd.stats[:failed]
    assert_equal 0, fwd.stats[:retries]
  ensure
    srv&.close
  end

  def test_full_buffer_drops_oldest_and_counts
    srv = ScriptedServer.new([])
    fwd = TaskerForwarder::Forwarder.new(config(srv.port, buffer_size: 5, batch_size: 100, gzip: false))
    8.times { |i| fwd.push('step.before_handle', { task_id: 1, step_id: i }) }
    assert_equal 3, fwd.stats[:dropped]
    assert fwd.flush(10)
    ids = srv.all.flat_map { |r| r[:body].split("\n").map { |l| JSON.parse(l)['step_id'] } }
    assert_equal [3, 4, 5, 6, 7], ids
  ensure
    srv&.close
  end

  def test_connection_refused_is_retried_until_the_budget_is_spent
    port = TCPServer.open('127.0.0.1', 0) { |s| s.addr[1] } # closed again: nothing listens
    fwd = TaskerForwarder::Forwarder.new(config(port, max_retries: 2))
    fwd.push('task.completed', { task_id: 1 })
    assert fwd.flush(10)
    assert_equal 2, fwd.stats[:retries]
    assert_equal 1, fwd.stats[:failed]
  end

  def test_values_and_filter
    rec = TaskerForwarder.record('task.completed',
                                 { timestamp: Time.utc(2026, 1, 10, 9, 0, 0.5r), completion_percentage: BigDecimal('100.0'),
                                   event_type: :completed, task_context: { 'password' => 'x', 'order' => 7 }, api_token: 't', ratio: Float::NAN },
                                 { 'hostname' => 'h' }, TaskerForwarder::DEFAULT_FILTER)
    assert_equal({ 'event' => 'task.completed', 'timestamp' => '2026-01-10T09:00:00.500Z', 'completion_percentage' => '100.0',
                   'event_type' => 'completed', 'task_context' => { 'password' => '[FILTERED]', 'order' => 7 },
                   'api_token' => '[FILTERED]', 'ratio' => nil, 'hostname' => 'h' }, rec)
  end

  def test_subscribes_to_every_registered_event_under_its_own_name
    Tasker.boot!
    srv = ScriptedServer.new([])
    fwd = TaskerForwarder::Forwarder.new(config(srv.port, gzip: false))
    sub = TaskerForwarder.install!(Tasker::Events::Publisher.instance, forwarder: fwd)
    assert_kind_of Tasker::Events::Subscribers::BaseSubscriber, sub
    assert_equal Tasker::EVENT_NAMES.sort, sub.class.subscribed_events.sort
    %w[tasker.telemetry.cache_synced Test.Event test.event workflow.task_started].each do |n|
      Tasker::Events::Publisher.instance.publish(n, { task_id: 5 })
    end
    assert fwd.flush(10)
    names = srv.all.flat_map { |r| r[:body].split("\n").map { |l| JSON.parse(l)['event'] } }
    assert_equal %w[tasker.telemetry.cache_synced Test.Event test.event workflow.task_started], names
    fwd.shutdown(2)
  ensure
    srv&.close
  end
end
