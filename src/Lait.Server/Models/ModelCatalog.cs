using Grpc.Core;
using Lait.Server.Interceptors;

namespace Lait.Server.Models;

/// <summary>The models this server serves, by name, with one default.</summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, ServedModelEntry> _models = new(StringComparer.Ordinal);

    public ModelCatalog(IEnumerable<ServedModelEntry> models, string defaultModel)
    {
        foreach (var m in models)
        {
            if (!_models.TryAdd(m.Model.Description.Name, m))
            {
                throw new ArgumentException($"two models are named '{m.Model.Description.Name}'; give each a distinct name");
            }
        }
        if (_models.Count == 0) throw new ArgumentException("at least one model must be configured");
        if (!_models.ContainsKey(defaultModel))
        {
            throw new ArgumentException($"the default model '{defaultModel}' is not among the loaded models ({string.Join(", ", _models.Keys)})");
        }
        DefaultModel = defaultModel;
    }

    public string DefaultModel { get; }

    public IEnumerable<ServedModelEntry> All => _models.Values.OrderBy(m => m.Model.Description.Name, StringComparer.Ordinal);

    /// <summary>The model named <paramref name="name"/> ("" = default); NOT_FOUND otherwise.</summary>
    public ServedModelEntry Resolve(string name)
    {
        if (string.IsNullOrEmpty(name)) return _models[DefaultModel];
        if (_models.TryGetValue(name, out var m)) return m;
        throw new RequestException(StatusCode.NotFound,
            $"unknown model {Validation.ErrorText.Quote(name)}; this server serves: {string.Join(", ", _models.Keys.Order(StringComparer.Ordinal))}");
    }
}
