# frozen_string_literal: true

# Copyright otelcol-tasker authors
# SPDX-License-Identifier: Apache-2.0
#
# TaskerForwarder: sends every Tasker event, as it is published, to the otelcol-tasker
# receiver's HTTP input (POST NDJSON batches, HMAC-signed, gzip). One file, Ruby standard
# library only. In a Rails app with Tasker:
#
#   # config/initializers/tasker_forwarder.rb
#   require Rails.root.join('lib/tasker_forwarder')
#   Rails.application.config.after_initialize { TaskerForwarder.install! }
#
# Configuration (environment): see README.md beside this file.
#
# Events are buffered in memory (bounded: the oldest is dropped, and counted, when the
# buffer is full) and sent by one background thread every flush_interval or as soon as
# batch_size events wait. 429, 5xx and connection errors are retried with exponential
# backoff (Retry-After honoured); other answers are final. What is buffered at exit is
# sent before the process ends (within shutdown_timeout).

require 'json'
require 'net/http'
require 'openssl'
require 'socket'
require 'stringio'
require 'time'
require 'uri'
require 'zlib'

module TaskerForwarder
  VERSION = '0.1.0'

  # Tasker's default telemetry.filter_parameters.
  DEFAULT_FILTER = %w[passw email secret token _key crypt salt certificate otp ssn].freeze

  # Config is read from the environment (TASKER_FORWARDER_*).
  Config = Struct.new(:url, :secret, :batch_size, :flush_interval, :buffer_size, :gzip, :max_retries,
                      :retry_base, :retry_max, :timeout, :shutdown_timeout, :filter, :events, :exclude,
                      :enabled, keyword_init: true) do
    def self.from_env(env = ENV)
      new(
        url: env.fetch('TASKER_FORWARDER_URL', 'http://127.0.0.1:4320/v1/events'),
        secret: env['TASKER_FORWARDER_SECRET'].to_s,
        batch_size: Integer(env.fetch('TASKER_FORWARDER_BATCH_SIZE', '100')),
        flush_interval: Float(env.fetch('TASKER_FORWARDER_FLUSH_INTERVAL', '1')),
        buffer_size: Integer(env.fetch('TASKER_FORWARDER_BUFFER_SIZE', '10000')),
        gzip: env.fetch('TASKER_FORWARDER_GZIP', 'true') != 'false',
        max_retries: Integer(env.fetch('TASKER_FORWARDER_MAX_RETRIES', '8')),
        retry_base: Float(env.fetch('TASKER_FORWARDER_RETRY_BASE', '0.2')),
        retry_max: Float(env.fetch('TASKER_FORWARDER_RETRY_MAX', '10')),
        timeout: Float(env.fetch('TASKER_FORWARDER_TIMEOUT', '5')),
        shutdown_timeout: Float(env.fetch('TASKER_FORWARDER_SHUTDOWN_TIMEOUT', '10')),
        filter: env.key?('TASKER_FORWARDER_FILTER') ? list(env['TASKER_FORWARDER_FILTER']) : DEFAULT_FILTER,
        events: list(env['TASKER_FORWARDER_EVENTS']),
        exclude: list(env['TASKER_FORWARDER_EXCLUDE']),
        enabled: env.fetch('TASKER_FORWARDER_ENABLED', 'true') != 'false'
      ).tap(&:validate!)
    end

    def self.list(value)
      value.to_s.split(',').map(&:strip).reject(&:empty?)
    end

    def validate!
      raise ArgumentError, "TASKER_FORWARDER_URL must be http(s): #{url}" unless url.match?(%r{\Ahttps?://}i)
      raise ArgumentError, 'TASKER_FORWARDER_BATCH_SIZE must be positive' unless batch_size.positive?
      raise ArgumentError, 'TASKER_FORWARDER_BUFFER_SIZE must be positive' unless buffer_size.positive?
      raise ArgumentError, 'TASKER_FORWARDER_FLUSH_INTERVAL must be positive' unless flush_interval.positive?
    end
  end

  # Forwarder buffers NDJSON lines and sends them on a background thread.
  class Forwarder
    attr_reader :config

    def initialize(config = Config.from_env, logger: nil)
      @config = config
      @uri = URI(config.url)
      @logger = logger
      @mutex = Mutex.new
      @wake = ConditionVariable.new
      @idle = ConditionVariable.new
      @stats = Hash.new(0)
      reset
    end

    # push enqueues one event (name and payload Hash); never blocks, never raises.
    def push(name, payload, extra = {})
      line = JSON.generate(TaskerForwarder.record(name, payload, extra, config.filter))
      @mutex.synchronize do
        reset if @pid != Process.pid # forked (Puma, Sidekiq): a fresh buffer and thread here
        if @queue.size >= config.buffer_size
          @queue.shift
          @stats[:dropped] += 1
        end
        @queue << line
        @stats[:buffered_total] += 1
        start_thread
        @wake.signal if @queue.size >= config.batch_size
      end
      true
    rescue StandardError => e
      @mutex.synchronize { @stats[:unencodable] += 1 }
      log(:warn, "TaskerForwarder: event #{name} not forwarded: #{e.class}: #{e.message}")
      false
    end

    # flush waits until every buffered event was sent or given up on (or timeout).
    def flush(timeout = config.shutdown_timeout)
      deadline = monotonic + timeout
      @mutex.synchronize do
        @urgent = true
        @wake.signal
        until (@queue.empty? && !@sending) || @thread.nil?
          left = deadline - monotonic
          return false if left <= 0

          @idle.wait(@mutex, left)
        end
      end
      true
    end

    # shutdown flushes and stops the thread (at exit).
    def shutdown(timeout = config.shutdown_timeout)
      flushed = flush(timeout)
      thread = @mutex.synchronize do
        @stopping = true
        @wake.signal
        @thread
      end
      thread&.join(1)
      unless flushed
        left = @mutex.synchronize { @queue.size }
        log(:warn, "TaskerForwarder: #{left} events not sent before shutdown")
      end
      flushed
    end

    # stats: buffered (now), dropped (buffer full), sent / failed events and batches, retries.
    def stats
      @mutex.synchronize { @stats.merge(buffered: @queue.size) }
    end

    private

    def reset
      @pid = Process.pid
      @queue = []
      @thread = nil
      @sending = false
      @stopping = false
      @urgent = false
    end

    def start_thread
      return if @thread&.alive?

      @thread = Thread.new { run }
      @thread.name = 'tasker-forwarder' if @thread.respond_to?(:name=)
    end

    def run
      loop do
        batch = @mutex.synchronize do
          if @queue.size < config.batch_size && !@stopping && !@urgent
            @wake.wait(@mutex, config.flush_interval)
          end
          if @queue.empty?
            @urgent = false
            @idle.broadcast
            return if @stopping

            nil
          else
            @sending = true
            @queue.shift(config.batch_size)
          end
        end
        next if batch.nil?

        deliver(batch)
        @mutex.synchronize do
          @sending = false
          @idle.broadcast
        end
      end
    rescue StandardError => e
      log(:error, "TaskerForwarder: sender thread stopped: #{e.class}: #{e.message}")
      @mutex.synchronize do
        @thread = nil
        @sending = false
        @idle.broadcast
      end
    end

    # deliver POSTs one batch, retrying 429/5xx/connection errors with backoff.
    def deliver(lines)
      body = lines.join("\n") << "\n"
      attempt = 0
      loop do
        wait = post(body, lines.size)
        return if wait.nil?

        attempt += 1
        if attempt > config.max_retries
          give_up(lines.size, "no success after #{attempt} attempts")
          return
        end
        @mutex.synchronize { @stats[:retries] += 1 }
        sleep(wait || backoff(attempt))
      end
    end

    # post sends once: nil when done (sent or given up on), else the seconds to wait
    # before the next attempt (false: the default backoff).
    def post(body, count)
      req = Net::HTTP::Post.new(@uri)
      req['Content-Type'] = 'application/x-ndjson'
      req['User-Agent'] = "tasker-forwarder/#{VERSION} ruby/#{RUBY_VERSION}"
      req['X-Tasker-Signature'] = "sha256=#{OpenSSL::HMAC.hexdigest('SHA256', config.secret, body)}" unless config.secret.empty?
      if config.gzip
        req['Content-Encoding'] = 'gzip'
        req.body = gzip(body)
      else
        req.body = body
      end
      res = Net::HTTP.start(@uri.host, @uri.port, use_ssl: @uri.scheme == 'https',
                                                  open_timeout: config.timeout, read_timeout: config.timeout) do |http|
        http.request(req)
      end
      code = res.code.to_i
      if code.between?(200, 299)
        sent(count, res.body)
        nil
      elsif code == 429 || code >= 500
        log(:warn, "TaskerForwarder: #{code} from #{@uri}; retrying")
        retry_after(res['Retry-After'])
      else
        give_up(count, "#{code} #{res.body.to_s[0, 300]}")
        nil
      end
    rescue SystemCallError, IOError, SocketError, Timeout::Error, OpenSSL::SSL::SSLError, EOFError => e
      log(:warn, "TaskerForwarder: #{e.class} posting to #{@uri}: #{e.message}; retrying")
      false
    end

    def sent(count, body)
      rejected = begin
        JSON.parse(body.to_s)['rejected'].to_i
      rescue JSON::ParserError
        0
      end
      @mutex.synchronize do
        @stats[:sent] += count - rejected
        @stats[:rejected] += rejected
        @stats[:batches] += 1
      end
      log(:warn, "TaskerForwarder: the collector rejected #{rejected} of #{count} events: #{body}") if rejected.positive?
    end

    def give_up(count, why)
      @mutex.synchronize { @stats[:failed] += count }
      log(:error, "TaskerForwarder: #{count} events dropped: #{why}")
    end

    def retry_after(header)
      secs = Float(header.to_s, exception: false)
      secs ? [secs, config.retry_max].min : false
    end

    def backoff(attempt)
      base = [config.retry_base * (2**(attempt - 1)), config.retry_max].min
      base * (0.5 + (rand * 0.5))
    end

    def gzip(body)
      io = StringIO.new(+'')
      gz = Zlib::GzipWriter.new(io)
      gz.write(body)
      gz.close
      io.string
    end

    def monotonic
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end

    def log(level, msg)
      logger = @logger || (defined?(Rails) && Rails.respond_to?(:logger) && Rails.logger)
      logger ? logger.public_send(level, msg) : warn(msg)
    end
  end

  module_function

  # record is one NDJSON object: the event name, then the payload (timestamp first, as
  # Tasker publishes it), then the sender's process fields.
  def record(name, payload, extra, filter)
    out = { 'event' => name.to_s }
    (payload || {}).each { |k, v| out[k.to_s] = jsonable(v, k.to_s, filter) }
    extra.each { |k, v| out[k.to_s] = v unless out.key?(k.to_s) }
    out
  end

  # jsonable turns Tasker's payload values (Time, BigDecimal, ActiveRecord objects, …)
  # into JSON values, masking keys that match the filter as Tasker's logs do.
  def jsonable(value, key = nil, filter = [])
    return '[FILTERED]' if key && !value.nil? && filter.any? { |f| key.downcase.include?(f.downcase) }

    case value
    when nil, true, false, String, Integer then value
    when Float then value.finite? ? value : nil
    when Symbol then value.to_s
    when Hash then value.each_with_object({}) { |(k, v), h| h[k.to_s] = jsonable(v, k.to_s, filter) }
    when Array then value.map { |v| jsonable(v, nil, filter) }
    else
      if defined?(BigDecimal) && value.is_a?(BigDecimal)
        value.to_s('F') # "100.0", as ActiveSupport renders it
      elsif value.respond_to?(:iso8601)
        value.respond_to?(:utc) ? value.utc.iso8601(3) : value.iso8601
      elsif value.respond_to?(:as_json) && !value.is_a?(Numeric)
        jsonable(value.as_json, key, filter)
      else
        value.to_s # Rational, Complex, …
      end
    end
  end

  # process_fields are added to every event: the receiver builds its resource from them.
  def process_fields
    fields = { 'hostname' => (ENV['HOSTNAME'] || Socket.gethostname), 'process_id' => Process.pid }
    fields['environment'] = Rails.env.to_s if defined?(Rails) && Rails.respond_to?(:env)
    fields['tasker_version'] = Tasker::VERSION if defined?(Tasker::VERSION)
    fields
  end

  # event_names are every event the publisher has registered (dry-events keeps them in
  # its bus), plus TASKER_FORWARDER_EVENTS, minus TASKER_FORWARDER_EXCLUDE (globs).
  def event_names(publisher, config)
    names = begin
      publisher.__bus__.events.keys
    rescue NoMethodError
      []
    end
    names = (names.map(&:to_s) + config.events).uniq
    names.reject { |n| config.exclude.any? { |pat| File.fnmatch(pat, n) } }
  end

  def forwarder
    @forwarder ||= Forwarder.new
  end

  # install! subscribes a Subscriber (a Tasker BaseSubscriber) to every event of the
  # publisher and flushes at exit. Returns the subscriber, or nil when disabled.
  def install!(publisher = Tasker::Events::Publisher.instance, forwarder: self.forwarder)
    return nil unless forwarder.config.enabled

    klass = subscriber_class
    names = event_names(publisher, forwarder.config)
    names.each do |n|
      klass.send(:define_method, klass.handler_for(n)) { |event| forward(n, event) }
    end
    klass.subscribe_to(*names)
    sub = klass.new
    sub.forwarder = forwarder
    sub.subscribe_to_publisher(publisher)
    at_exit { forwarder.shutdown }
    sub
  end

  # subscriber_class is TaskerForwarder::Subscriber < Tasker's BaseSubscriber, defined
  # once Tasker is loaded.
  def subscriber_class
    return const_get(:Subscriber) if const_defined?(:Subscriber, false)

    klass = Class.new(Tasker::Events::Subscribers::BaseSubscriber) do
      attr_accessor :forwarder

      # handler_for: handle_<name with . as _>, lower snake case (as BaseSubscriber names it).
      def self.handler_for(name)
        :"handle_#{name.to_s.tr('.', '_').gsub(/([a-z\d])([A-Z])/, '\1_\2').downcase}"
      end

      def forward(name, event)
        payload = event.respond_to?(:payload) ? event.payload : event
        actual = event.respond_to?(:id) && event.id ? event.id.to_s : name # Test.Event vs test.event
        forwarder.push(actual, payload, fields)
      end

      protected

      # Every name as it is: BaseSubscriber would prefix unknown namespaces with custom.
      def resolve_internal_event_constant(event_name)
        event_name.to_s
      end

      def generate_handler_method_name(event_name)
        self.class.handler_for(event_name)
      end

      private

      def fields
        @fields = nil if @fields_pid != Process.pid
        @fields_pid = Process.pid
        @fields ||= TaskerForwarder.process_fields
      end
    end
    const_set(:Subscriber, klass)
  end
end
