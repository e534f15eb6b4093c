namespace NewsBot.Telegram;

/// <summary>
/// The bot's own id and username (from getMe), needed to recognise @mentions, /cmd@Bot and replies
/// to the bot. Set once by the polling or webhook service at start; handlers wait for it.
/// </summary>
public sealed class BotIdentity
{
    private readonly TaskCompletionSource<(long Id, string Username)> _known =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsKnown => _known.Task.IsCompletedSuccessfully;

    public long Id => _known.Task.IsCompletedSuccessfully ? _known.Task.Result.Id : 0;

    /// <summary>The username without '@'.</summary>
    public string Username => _known.Task.IsCompletedSuccessfully ? _known.Task.Result.Username : "";

    public void Set(long id, string username) => _known.TrySetResult((id, username.TrimStart('@')));

    public Task WaitAsync(CancellationToken ct) => _known.Task.WaitAsync(ct);
}
