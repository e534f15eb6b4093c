namespace NewsBot.Core.Ports;

/// <summary>Counts model tokens, so chunks fit the embedding model's window.</summary>
public interface ITokenCounter
{
    int CountTokens(string text);
}
