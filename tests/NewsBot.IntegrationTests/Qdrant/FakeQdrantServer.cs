using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace NewsBot.IntegrationTests.Qdrant;

/// <summary>
/// A fake Qdrant gRPC server on 127.0.0.1 for the real <c>QdrantClient</c>: Kestrel speaking HTTP/2 over cleartext
/// (prior knowledge, as gRPC clients do for http:// addresses). Each call is a POST to <c>/qdrant.Service/Method</c>
/// whose body is one length-prefixed message (1 byte "compressed" flag, 4 bytes big-endian length, the protobuf
/// bytes); the answer is the same framing plus a <c>grpc-status</c> trailer. Requests are parsed and answers built
/// with the client package's own message types; <see cref="InMemoryQdrant"/> supplies the semantics. Checks the
/// <c>api-key</c> header when <see cref="ApiKey"/> is set, and can fail the next calls with a given status.
/// </summary>
internal sealed class FakeQdrantServer : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ConcurrentQueue<StatusCode> _failures = new();
    readonly IReadOnlyDictionary<string, (MessageParser Parser, Func<IMessage, IMessage> Handle)> _routes;

    FakeQdrantServer(WebApplication app, InMemoryQdrant store, string? apiKey)
    {
        _app = app;
        Store = store;
        ApiKey = apiKey;
        _routes = store.Routes;
    }

    public InMemoryQdrant Store { get; }

    /// <summary>When set, calls without this <c>api-key</c> header get Unauthenticated.</summary>
    public string? ApiKey { get; }

    public Uri Address { get; private set; } = null!;

    /// <summary>gRPC paths of every call, in order (rejected ones included).</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>Runs before each call is answered (after it is counted): a test can hold a call or act on it.</summary>
    public Func<string, CancellationToken, Task>? BeforeAnswer { get; set; }

    public int CallsTo(string method) => Calls.Count(c => c.EndsWith("/" + method, StringComparison.Ordinal));

    /// <summary>The next <paramref name="times"/> calls (any method) fail with <paramref name="code"/>.</summary>
    public void FailNext(StatusCode code, int times = 1)
    {
        for (int i = 0; i < times; i++) _failures.Enqueue(code);
    }

    public static async Task<FakeQdrantServer> StartAsync(string? apiKey = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
            k.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
        });
        var app = builder.Build();
        var server = new FakeQdrantServer(app, new InMemoryQdrant(), apiKey);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.Address = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        Calls.Enqueue(path);
        if (BeforeAnswer is { } hook) await hook(path, context.RequestAborted);
        context.Response.ContentType = "application/grpc";
        if (!HttpMethods.IsPost(context.Request.Method) || context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true)
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        if (ApiKey is not null && context.Request.Headers["api-key"] != ApiKey)
        {
            Finish(context, StatusCode.Unauthenticated, "Invalid api-key");
            return;
        }
        if (_failures.TryDequeue(out var injected))
        {
            Finish(context, injected, $"injected {injected}");
            return;
        }
        if (!_routes.TryGetValue(path, out var route))
        {
            Finish(context, StatusCode.Unimplemented, $"fake Qdrant does not implement {path}");
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
        if (bytes.Length < 5 || bytes[0] != 0 || BinaryPrimitives.ReadUInt32BigEndian(bytes[1..5]) != bytes.Length - 5)
        {
            Finish(context, StatusCode.Internal, "expected one uncompressed length-prefixed message");
            return;
        }

        IMessage reply;
        try
        {
            reply = route.Handle(route.Parser.ParseFrom(bytes[5..]));
        }
        catch (RpcException e)
        {
            Finish(context, e.StatusCode, e.Status.Detail);
            return;
        }

        var payload = reply.ToByteArray();
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        context.Response.StatusCode = StatusCodes.Status200OK;
        await context.Response.Body.WriteAsync(frame, context.RequestAborted);
        Finish(context, StatusCode.OK, null);
    }

    static void Finish(HttpContext context, StatusCode code, string? message)
    {
        context.Response.AppendTrailer("grpc-status", ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(message)) context.Response.AppendTrailer("grpc-message", Uri.EscapeDataString(message));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
